"""Settings come from the environment, flags override them, and bad values are refused clearly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ccc_mcp.config.settings import DEFAULT_DEVICE_ID, load_settings
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


@pytest.mark.parametrize(
    ("given", "expected"),
    [("http://127.0.0.1:9000/", "http://127.0.0.1:9000"), ("https://ccc.example.com", "https://ccc.example.com"),
     ("ccc.example.com", "https://ccc.example.com"), ("http://localhost:1", "http://localhost:1"),
     ("http://[::1]:9000", "http://[::1]:9000")],
)
def test_endpoints_accepted(given: str, expected: str) -> None:
    assert load_settings(endpoint=given).endpoint == expected


@pytest.mark.parametrize("given", ["http://ccc.example.com", "http://10.0.0.5:9000", "ftp://x", "https://"])
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
