"""Bad input, generated: thousands of argument sets of every JSON type, size, unicode plane and control
character, with missing and unknown names. Every answer must be a tool result that conforms to the
published `outputSchema` (never a protocol error, a crash or a hang); an invalid set must send no request,
and a valid one exactly one, carrying the ids as given (surrounding whitespace trimmed).

Validity is decided by an oracle written here from the contract in the README, independently of the
server's pydantic model, so a drift between the two fails the test.

One real server runs for the whole test behind an in-memory MCP client, on an event loop in a helper thread
(hypothesis drives a synchronous test; the calls run on that loop through an anyio blocking portal).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import jsonschema
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.app import build_server
from ccc_mcp.config import load_settings
from ccc_mcp.tools.call_control import OUTPUT_SCHEMA
from tests.fakes import FAKE_ENDPOINT, FakeCcc
from tests.reliability.conftest import CANARY_SECRET, assert_no_canary

RESULT_SCHEMA = jsonschema.Draft202012Validator(OUTPUT_SCHEMA)  # checked once, not per answer
EXAMPLES = int(os.environ.get("CCC_BAD_INPUT_EXAMPLES", "2000"))
NAMES = ("instance_id", "user_id", "device_id", "job_id", "channel_id")
WIRE_NAMES = {"instance_id": "InstanceId", "user_id": "UserId", "job_id": "JobId", "channel_id": "ChannelId"}
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # controls, format characters, line/paragraph separators,
# and lone surrogates (legal in a JSON string, not encodable as UTF-8)
CALL_TIMEOUT = 10.0
PLACEHOLDER = re.compile(r"\{\w*(?::[^{}]*)?\}")  # "{code:04X}" left in a message
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')  # a caller's (unknown) argument name, quoted as JSON


# --- the oracle -------------------------------------------------------------------------------------------


def id_problem(value: object, *, required: bool) -> str | None:
    """Why `value` is not an acceptable id argument, or None if it is (absent is `...`)."""
    if value is ... or value is None:
        return "blank" if required else None
    if not isinstance(value, str):
        return "type"
    trimmed = value.strip()
    if not trimmed:
        return "blank"
    if len(trimmed) > 256:
        return "long"
    if any(unicodedata.category(char) in REFUSED_CATEGORIES for char in trimmed):
        return "character"
    return None


def problems(arguments: dict[str, Any]) -> dict[str, str]:
    """Each argument name that makes the set invalid, with why (no default instance is configured)."""
    found = {name: "unknown" for name in arguments if name not in NAMES}
    for name in NAMES:
        problem = id_problem(arguments.get(name, ...), required=name in ("instance_id", "user_id"))
        if problem:
            found[name] = problem
    return found


# --- the generators --------------------------------------------------------------------------------------

any_char = st.characters()  # every plane and category but lone surrogates, which nasty_char adds
nasty_char = st.sampled_from("\x00\r\n\t\x0b\x0c\x1b\x7f\x85\u200b\u200e\u2028\u2029\ufeff\ud800\udfff \u3000")
id_text = st.one_of(
    st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=40),  # plausible ids
    st.text(alphabet=st.one_of(any_char, nasty_char), max_size=40),
    st.builds(
        lambda core, pad: pad + core + pad, st.text(min_size=1, max_size=20), st.sampled_from(["", " ", "\n", "\t "])
    ),
    st.integers(min_value=240, max_value=300).map(lambda n: "x" * n),  # around the 256 limit
    st.integers(min_value=250, max_value=260).map(lambda n: " " + "é" * n + " "),
    st.just("agent@ccc-demo"),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10))
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
id_value = st.one_of(id_text, id_text, id_text, json_value)
unknown_name = st.one_of(
    st.text(max_size=12).filter(lambda name: name not in NAMES),
    st.sampled_from(["userId", "UserId", "user_id ", "instance", "Action", "Signature", "__proto__", ""]),
)
argument_sets = st.one_of(
    st.fixed_dictionaries({}, optional={name: id_value for name in NAMES}),
    st.fixed_dictionaries({"instance_id": id_text, "user_id": id_text}, optional={n: id_value for n in NAMES[2:]}),
    st.builds(
        lambda base, extra: {**base, **extra},
        st.fixed_dictionaries({"instance_id": id_text, "user_id": id_text}),
        st.dictionaries(unknown_name, json_value, min_size=1, max_size=2),
    ),
)


# --- the server under test -------------------------------------------------------------------------------


class ServerUnderTest:
    """An in-memory MCP client of a real server whose upstream is the fake CCC; callable from sync code."""

    def __init__(self, portal: BlockingPortal, client: Client, fake: FakeCcc) -> None:
        self.portal, self.client, self.fake = portal, client, fake

    def call(self, arguments: dict[str, Any] | None) -> tuple[Any, int]:
        """The tool result, and how many requests reached the upstream for it."""
        before = len(self.fake.seen)
        result = self.portal.call(self._call, arguments)
        return result, len(self.fake.seen) - before

    async def _call(self, arguments: dict[str, Any] | None) -> Any:
        with anyio.fail_after(CALL_TIMEOUT):  # a hang fails the example
            return await self.client.call_tool("unmute_call", arguments)


@pytest.fixture(scope="module", params=["auto", "legacy"], ids=["modern", "legacy"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerUnderTest]:
    # The suite's canary is this server's AccessKey secret, so the canary checks here can catch a leak.
    key = SigningKey("bad-input-access-key-id", CANARY_SECRET)
    fake = FakeCcc(key=key)
    settings_ = load_settings(endpoint=FAKE_ENDPOINT, deadline=5.0, audit_log="off")
    mcp_server = build_server(settings_, credentials=StaticCredentials(key), transport=fake.transport())
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(mcp_server, mode=request.param)) as client,
    ):
        yield ServerUnderTest(portal, client, fake)


TRIED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_what_was_tried(figures: dict[str, Any]) -> Iterator[None]:
    """The tally of every answer checked here, for the report."""
    yield
    if TRIED:
        figures["bad_input"] = {
            "examples_per_mode": EXAMPLES,
            "modes": 2,
            "answers": dict(TRIED),
            "total": sum(TRIED.values()),
        }


def check_answer(server: ServerUnderTest, arguments: dict[str, Any] | None) -> None:
    result, requests = server.call(arguments)
    structured = result.structured_content
    assert structured is not None, "a tool result with structuredContent, never a bare error"
    RESULT_SCHEMA.validate(structured)
    assert json.loads(result.content[0].text) == structured
    assert result.is_error is (not structured["ok"])
    assert_no_canary(result.model_dump_json())
    wrong = problems(arguments or {})
    if wrong:
        assert requests == 0, f"an invalid set sent a request: {wrong}"
        error = structured["error"]
        assert error["code"] in ("Parameter.Blank", "Parameter.Invalid"), error
        assert error["params"], error
        assert error["params"][0] in wrong, (error, wrong)
        assert error["hint"]
        assert not PLACEHOLDER.search(QUOTED.sub('""', error["message"])), "no unfilled message template"
        TRIED[f"invalid: {error['code']}"] += 1
    else:
        assert requests == 1, "a valid set sends exactly one request"
        assert structured["ok"] is True, structured
        assert server.fake.seen[-1].signature_valid, "signed with the canary secret"
        sent = server.fake.seen[-1].query
        for name, wire in WIRE_NAMES.items():
            if isinstance(arguments, dict) and arguments.get(name) is not None:
                assert sent[wire] == arguments[name].strip(), f"{name} reached the API as given"
        TRIED["valid"] += 1


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(arguments=argument_sets)
@example(arguments={"instance_id": "ccc-demo", "user_id": "agent\ud800"})  # found by this test: it crashed
@example(arguments={"instance_id": "ccc-demo", "user_id": "agent@ccc-demo", "": 1})  # named "arguments"
@example(arguments={"instance_id": "ccc-demo", "user_id": "a\x1b[2J"})  # message showed "{code:04X}"
@example(arguments={"instance_id": " \u3000 ", "user_id": "agent@ccc-demo"})
@example(arguments={"instance_id": "ccc-demo", "user_id": " " + "é" * 256 + "\n"})
def test_any_arguments_get_a_structured_answer(server: ServerUnderTest, arguments: dict[str, Any]) -> None:
    check_answer(server, arguments)


@pytest.mark.parametrize("arguments", [None, {}], ids=["no arguments", "empty object"])
def test_no_arguments_name_the_missing_one(server: ServerUnderTest, arguments: dict[str, Any] | None) -> None:
    check_answer(server, arguments)
