"""Settings come from the environment, flags override them, and bad values are refused clearly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from ccc_mcp.config.ccc import DEFAULT_DEVICE_ID
from ccc_mcp.config.settings import Settings, load_settings
from ccc_mcp.net.loopback import is_loopback_host


def test_defaults() -> None:
    settings = load_settings()
    assert settings.region == "cn-shanghai"
    assert settings.endpoint is None
    assert settings.instance_id is None
    assert settings.allowed_instances == frozenset()
    assert settings.device_id == DEFAULT_DEVICE_ID
    assert (settings.connect_timeout, settings.read_timeout, settings.max_attempts) == (5.0, 10.0, 3)


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCC_REGION", "ap-southeast-1")
    monkeypatch.setenv("CCC_INSTANCE_ID", "ccc-prod")
    monkeypatch.setenv("CCC_ALLOWED_INSTANCES", " ccc-prod , ccc-test,,")
    monkeypatch.setenv("CCC_DEVICE_ID", "softphone")
    monkeypatch.setenv("CCC_MCP_AUTH_TOKEN", "canary-token-9d1")
    settings = load_settings()
    assert settings.region == "ap-southeast-1"
    assert settings.instance_id == "ccc-prod"
    assert settings.allowed_instances == frozenset({"ccc-prod", "ccc-test"})
    assert settings.device_id == "softphone"
    assert settings.auth_token is not None
    assert "canary-token-9d1" not in repr(settings), "the token never shows in a repr"


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCC_REGION", "ap-southeast-1")
    assert load_settings(region="cn-beijing").region == "cn-beijing"
    assert load_settings(region=None).region == "ap-southeast-1", "an unset flag falls through"


def test_blank_instance_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCC_INSTANCE_ID", "  ")
    assert load_settings().instance_id is None


def test_optional_fields_an_installer_leaves_empty_mean_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle host or a registry client passes an optional field the user left empty as "" (server.json,
    manifest.json): the server then runs as if the variable were unset."""
    for name in ("CCC_REGION", "CCC_INSTANCE_ID", "CCC_USER_ID", "CCC_ENDPOINT"):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.region == "cn-shanghai"
    assert (settings.instance_id, settings.user_id, settings.endpoint) == (None, None, None)
    monkeypatch.setenv("CCC_REGION", " ap-southeast-1 ")
    assert load_settings().region == "ap-southeast-1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("http://127.0.0.1:9000/", "http://127.0.0.1:9000"), ("https://ccc.example.com", "https://ccc.example.com"),
     ("ccc.example.com", "https://ccc.example.com"), ("http://localhost:1", "http://localhost:1"),
     ("http://[::1]:9000", "http://[::1]:9000")],
)
def test_endpoints_accepted(given: str, expected: str) -> None:
    assert load_settings(endpoint=given).endpoint == expected


@pytest.mark.parametrize(
    "given", ["http://ccc.example.com", "http://10.0.0.5:9000", "ftp://x", "https://", "https://ccc.example.com:abc",
              "https://ccc.example.com:70000"],
)
def test_endpoints_refused(given: str) -> None:
    with pytest.raises(ValidationError, match="endpoint"):
        load_settings(endpoint=given)


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.9.9.9", True), ("localhost", True),
                                                ("::1", True), ("[::1]", True), ("0.0.0.0", False),
                                                ("10.1.2.3", False), ("example.com", False)])
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_numbers_are_validated() -> None:
    with pytest.raises(ValidationError):
        load_settings(max_attempts=0)
    with pytest.raises(ValidationError):
        load_settings(deadline=-1)


def test_tool_selection_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCC_MCP_TOOLS", " unmute_call , get_agent_status ")
    monkeypatch.setenv("CCC_MCP_READ_ONLY", "false")
    settings = load_settings()
    assert settings.tools == frozenset({"unmute_call", "get_agent_status"})
    assert settings.read_only is False
    monkeypatch.setenv("CCC_MCP_TOOLS", "")
    monkeypatch.setenv("CCC_MCP_READ_ONLY", "true")
    settings = load_settings()
    assert (settings.tools, settings.read_only) == (frozenset(), True)


def test_read_only_is_a_switch_on_the_command_line() -> None:
    from ccc_mcp.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["serve", "--read-only"]).read_only is True
    assert parser.parse_args(["serve"]).read_only is None  # unset: the environment decides
    assert parser.parse_args(["serve", "--tools", "a,b"]).tools == "a,b"


# --- rate-limit storage and workers -----------------------------------------------------------------------

REDIS_CANARY = "canary-redis-pw-77e2"


def test_rate_limit_storage_defaults_to_memory_and_takes_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().rate_limit_storage.get_secret_value() == "memory://"
    monkeypatch.setenv("CCC_MCP_RATE_LIMIT_STORAGE", f" redis://:{REDIS_CANARY}@10.0.0.5:6379/2 ")
    settings = load_settings()
    assert settings.rate_limit_storage.get_secret_value() == f"redis://:{REDIS_CANARY}@10.0.0.5:6379/2"
    assert REDIS_CANARY not in repr(settings), "the URL is a secret: repr never shows it"


@pytest.mark.parametrize("url", ["mongodb://h/db", "http://h", "localhost:6379", f"memcached://:{REDIS_CANARY}@h"])
def test_unsupported_storage_is_refused_without_showing_the_url(url: str) -> None:
    with pytest.raises(ValidationError, match="must be one of memory://, redis://") as refused:
        load_settings(rate_limit_storage=url)
    assert REDIS_CANARY not in str(refused.value)


def test_workers_and_rate_limit_are_whole_numbers() -> None:
    assert load_settings().workers == 1
    for bad in ({"workers": 0}, {"workers": 65}, {"rate_limit": 1.5}):
        with pytest.raises(ValidationError):
            load_settings(**bad)


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CCC_")} | env
    return subprocess.run([sys.executable, "-m", "ccc_mcp", "serve", *args], capture_output=True, text=True,
                          timeout=60, env=environment, stdin=subprocess.DEVNULL)


def test_a_bad_storage_stops_start_up_with_exit_2_and_never_shows_the_password() -> None:
    out = _serve("--transport", "http", CCC_MCP_RATE_LIMIT_STORAGE=f"mongodb://:{REDIS_CANARY}@h:27017/x")
    assert out.returncode == 2
    assert "invalid setting CCC_MCP_RATE_LIMIT_STORAGE" in out.stderr
    assert "must be one of memory://, redis://" in out.stderr
    assert REDIS_CANARY not in out.stderr + out.stdout


def test_help_never_shows_the_storage_password() -> None:
    out = _serve("--help", CCC_MCP_RATE_LIMIT_STORAGE=f"redis://:{REDIS_CANARY}@h:6379/0")
    assert out.returncode == 0
    assert "--rate-limit-storage URL" in out.stdout
    assert "--workers WORKERS" in out.stdout
    assert REDIS_CANARY not in out.stdout + out.stderr


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_workers_are_refused_on_stdio(how: str) -> None:
    out = _serve("--workers", "2") if how == "flag" else _serve(CCC_MCP_WORKERS="2")
    assert out.returncode == 2
    assert "needs --transport http" in out.stderr
    assert out.stdout == "", "stdio: nothing but protocol on stdout"


@pytest.mark.parametrize(("given", "expected"), [("off", "off"), (" OFF ", "off"), ("On", "on")])
def test_the_sdk_fast_paths_switch(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.delenv("CCC_MCP_SDK_FAST_PATHS", raising=False)
    assert load_settings().sdk_fast_paths == "on", "on unless switched off"
    monkeypatch.setenv("CCC_MCP_SDK_FAST_PATHS", given)
    assert load_settings().sdk_fast_paths == expected
    assert load_settings(sdk_fast_paths="on").sdk_fast_paths == "on", "the flag wins"
    monkeypatch.setenv("CCC_MCP_SDK_FAST_PATHS", "fast")
    with pytest.raises(ValidationError, match=r"sdk_fast_paths|CCC_MCP_SDK_FAST_PATHS"):
        load_settings()


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_secret_is_unset(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    """Every secret setting, as `CCC_MCP_AUTH_TOKEN=` in a unit file or a container leaves it: its default."""
    monkeypatch.setenv("CCC_MCP_AUTH_TOKEN", blank)
    monkeypatch.setenv("CCC_MCP_RATE_LIMIT_STORAGE", blank)
    settings = load_settings()
    assert settings.auth_token is None
    assert settings.authentication is None
    assert settings.rate_limit_storage.get_secret_value() == "memory://"


def test_authentication_is_one_answer() -> None:
    oauth = {"jwks_url": "https://auth.example/jwks", "jwt_issuer": "https://auth.example",
             "resource_url": "https://mcp.example/mcp"}  # fmt: skip
    assert load_settings().authentication is None
    assert load_settings(auth_token=" tok3n ").authentication == "token"
    assert load_settings(auth_token=" tok3n ").auth_token.get_secret_value() == "tok3n"  # type: ignore[union-attr]
    assert load_settings(**oauth).authentication == "oauth"


@pytest.mark.parametrize(
    ("given", "accepted"),
    [("127.0.0.1", True), ("10.0.0.0/8, ::1", True), ("*", True), ("nginx", False), ("10.0.0.300", False)],
)
def test_forwarded_allow_ips_are_addresses_or_networks(given: str, accepted: bool) -> None:
    if accepted:
        assert load_settings(forwarded_allow_ips=given).forwarded_allow_ips
    else:
        with pytest.raises(ValidationError, match="CCC_MCP_FORWARDED_ALLOW_IPS"):
            load_settings(forwarded_allow_ips=given)


def test_an_origin_or_host_that_could_never_match_stops_start_up() -> None:
    with pytest.raises(ValidationError, match="CCC_MCP_ALLOWED_ORIGINS: not an origin"):
        load_settings(allowed_origins="https://app.example.com/")
    with pytest.raises(ValidationError, match="CCC_MCP_ALLOWED_HOSTS: not a host name"):
        load_settings(allowed_hosts="https://mcp.example.com")


# --- the chain of parts Settings is declared in (config/ccc.py → fanout.py → http.py → serving.py) ------------

CHAIN = [part for part in Settings.__mro__ if issubclass(part, BaseSettings) and part is not BaseSettings]
LIST_SETTINGS = [name for name, field in Settings.model_fields.items() if field.annotation == frozenset[str]]
OPTIONAL_TEXTS = [name for name, field in Settings.model_fields.items() if field.annotation == str | None]


def test_the_fields_come_in_the_order_the_parts_declare_them() -> None:
    """Base first, each part's fields in their order: the order of --help and docs/configuration.md
    (tests/repository/test_docs.py compares the page as a whole)."""
    assert [part.__name__ for part in CHAIN] == [
        "Settings", "ServingSettings", "HttpSettings", "FanoutSettings", "CccSettings"
    ]  # fmt: skip
    declared = [name for part in reversed(CHAIN) for name in vars(part).get("__annotations__", {})]
    assert list(Settings.model_fields) == declared
    assert all(field.validation_alias for field in Settings.model_fields.values())


def test_only_settings_is_built_never_a_part() -> None:
    """The parts are declared with `defer_build` (config/ccc.py): building each would cost start-up some 7 ms
    in all and serve nothing, since only `Settings` is ever validated."""
    load_settings()
    assert [part.__name__ for part in CHAIN if part.__pydantic_complete__] == ["Settings"]


def test_no_part_replaces_the_validators_of_another() -> None:
    """pydantic keys validators by method name: a part declaring a validator named like one of a part before
    it would silently take its place, and that one's fields would lose their validation."""
    final = Settings.__pydantic_decorators__.field_validators
    for part in CHAIN:
        for name, validator in part.__pydantic_decorators__.field_validators.items():
            assert final[name].info == validator.info, f"{part.__name__}.{name} is replaced by a later part's"


@pytest.mark.parametrize("name", LIST_SETTINGS)
def test_every_list_setting_is_read_as_a_comma_or_space_separated_list(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    values = {"allowed_hosts": ("a.example", "b.example"), "allowed_origins": ("https://a.example", "https://b.example"),
              "forwarded_allow_ips": ("10.0.0.0/8", "::1")}.get(name, ("one", "two"))  # fmt: skip
    monkeypatch.setenv(str(Settings.model_fields[name].validation_alias), f" {values[0]}, {values[1]} ,,")
    assert getattr(load_settings(), name) == frozenset(values)


@pytest.mark.parametrize("name", OPTIONAL_TEXTS)
def test_every_optional_text_setting_left_blank_is_unset(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """What an installer passes for an optional field left empty, whichever part declares it."""
    monkeypatch.setenv(str(Settings.model_fields[name].validation_alias), " \t")
    assert getattr(load_settings(), name) is None
