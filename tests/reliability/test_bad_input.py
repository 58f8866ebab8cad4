"""Bad input, generated, for every tool: thousands of argument sets of every JSON type, size, unicode plane and
control character, with missing and unknown names. Every answer must be a tool result that conforms to that
tool's published `outputSchema` (never a protocol error, a crash or a hang). An invalid set must send no
request. A valid one must send exactly the requests the contract says, carrying the ids as given (surrounding
whitespace trimmed), each signed with the canary secret: one request, or for an omitted call or channel a
PollUserStatus first and the action only if exactly one channel fits.

The oracle is written here from the contract in the README (the table `CONTRACT` below), independently of
the server's pydantic models, so a drift between the published schema, the validation and the contract fails.

The upstream is a fake CCC whose PollUserStatus answer depends on the agent: each user id maps (by a CRC of
its text) to one of a few call layouts — no call, one customer, a customer on hold, two customers, a customer
still ringing... — so generated input reaches every branch of the lookup, `Resolve.Ambiguous` included.

One real server per protocol mode runs for the whole module behind an in-memory MCP client, on an event loop
in a helper thread (hypothesis drives a synchronous test; the calls run on that loop through an anyio
blocking portal).
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx
import jsonschema
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from tests.answer_rules import assert_clean
from tests.fakes import FAKE_ENDPOINT, SAMPLE_RESPONSE, FakeCcc, SeenRequest
from tests.reliability.conftest import CANARY_SECRET, assert_no_canary, suite_setting

CALL_TIMEOUT = 10.0
PLACEHOLDER = re.compile(r"\{\w*(?::[^{}]*)?\}")  # "{code:04X}" left in a message
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')  # a caller's (unknown) argument name, quoted as JSON


# --- the contract (README, "The tools") -------------------------------------------------------------------

Kind = Literal["id", "states", "flags", "page"]


@dataclass(frozen=True)
class Arg:
    """One argument of a tool: what kind of value it takes, whether it is required (no default instance is
    configured here, so instance_id is), and the query parameter it travels as."""

    kind: Kind
    required: bool = False
    wire: str | None = None


INSTANCE_ID = Arg("id", required=True, wire="InstanceId")
USER_ID = Arg("id", required=True, wire="UserId")
CALL_IDS = {"job_id": Arg("id", wire="JobId"), "channel_id": Arg("id", wire="ChannelId")}

CONTRACT: dict[str, dict[str, Arg]] = {
    "list_agents": {
        "instance_id": INSTANCE_ID,
        "query": Arg("id", wire="Query"),
        "states": Arg("states"),  # travels in the form body, as StateList
        "skill_group_id": Arg("id", wire="SkillGroupId"),
        "page": Arg("page", wire="PageNumber"),
        "page_size": Arg("page", wire="PageSize"),
    },
    "list_calls": {
        "instance_id": INSTANCE_ID,
        "flags": Arg("flags"),  # a filter of the answer: nothing on the wire
        "skill_group_id": Arg("id", wire="SkillGroupId"),
        "query": Arg("id", wire="Query"),
        "min_parties": Arg("page"),  # 1-100, like a page
        "limit": Arg("page"),
        "cursor": Arg("id"),
    },
    "get_agent_status": {"instance_id": INSTANCE_ID, "user_id": USER_ID},
    "unmute_call": {"instance_id": INSTANCE_ID, "user_id": USER_ID, **CALL_IDS},
    "mute_call": {"instance_id": INSTANCE_ID, "user_id": USER_ID, "job_id": CALL_IDS["job_id"]},  # own audio only
    "hold_call": {"instance_id": INSTANCE_ID, "user_id": USER_ID, **CALL_IDS, "music": Arg("id", wire="Music")},
    "retrieve_call": {"instance_id": INSTANCE_ID, "user_id": USER_ID, **CALL_IDS},
}
TOOLS = tuple(CONTRACT)
ACTION = {
    "list_agents": "ListRealtimeAgentStates",
    "list_calls": "ListRealtimeAgentStates",
    "get_agent_status": "PollUserStatus",
    "unmute_call": "UnmuteCall",
    "mute_call": "MuteCall",
    "hold_call": "HoldCall",
    "retrieve_call": "RetrieveCall",
}
STATES = ("READY", "TALKING", "WORKING", "BREAK", "RINGING", "DIALING", "OFFLINE")
FLAGS = ("MUTED", "HOLD", "MONITORED", "MONITORING", "COACHED", "COACHING")
ON_A_CALL = ["Talking", "Ringing", "Dialing"]  # list_calls reads the agents in these states
LIST_WORDS = {"READY": "Ready", "TALKING": "Talking", "WORKING": "ACW", "BREAK": "Break", "RINGING": "Ringing",
              "DIALING": "Dialing", "OFFLINE": "Offline"}  # fmt: skip
MAX_ID_LENGTH, MAX_PAGE, DEFAULT_PAGE_SIZE = 256, 100, 20
DEVICE_ID = "ccc-mcp-server"  # the server sends its own CCC_DEVICE_ID; the model is never asked for it
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # controls, format characters, line/paragraph separators,
# and lone surrogates (legal in a JSON string, not encodable as UTF-8)

EXAMPLES = int(suite_setting("CCC_BAD_INPUT_EXAMPLES", "2000"))  # generated per protocol mode, over every tool


# --- the oracle: is a set valid, and if not, why ------------------------------------------------------------


def id_problem(value: object, required: bool) -> str | None:
    """Why `value` is not an acceptable id argument, or None if it is (absent is `...`; null is absent)."""
    if value is ... or value is None:
        return "blank" if required else None
    if not isinstance(value, str):
        return "type"
    trimmed = value.strip()
    if not trimmed:
        return "blank"
    if len(trimmed) > MAX_ID_LENGTH:
        return "long"
    if any(unicodedata.category(char) in REFUSED_CATEGORIES for char in trimmed):
        return "character"
    return None


def words_problem(words: tuple[str, ...]) -> Callable[[object, bool], str | None]:
    """A JSON array of 1 to len(words) of `words`, exactly as written."""

    def problem(value: object, required: bool) -> str | None:
        if value is ... or value is None:
            return "blank" if required else None
        if not isinstance(value, list):
            return "type"
        if not 1 <= len(value) <= len(words):
            return "count"
        if not all(isinstance(word, str) and word in words for word in value):
            return "word"
        return None

    return problem


def page_problem(value: object, required: bool) -> str | None:
    """A JSON integer from 1 to 100; true and false are not numbers, nor is 1.0."""
    if value is ... or value is None:
        return "blank" if required else None
    if type(value) is not int:
        return "type"
    if not 1 <= value <= MAX_PAGE:
        return "range"
    return None


PROBLEM: dict[Kind, Callable[[object, bool], str | None]] = {
    "id": id_problem,
    "states": words_problem(STATES),
    "flags": words_problem(FLAGS),
    "page": page_problem,
}


def problems(tool: str, arguments: dict[str, Any]) -> dict[str, str]:
    """Each argument name that makes the set invalid for `tool`, with why."""
    contract = CONTRACT[tool]
    found = {name: "unknown" for name in arguments if name not in contract}
    for name, arg in contract.items():
        problem = PROBLEM[arg.kind](arguments.get(name, ...), arg.required)
        if problem:
            found[name] = problem
    return found


# --- the fake CCC: call layouts by agent -------------------------------------------------------------------

JOB = "job-bad-input-1"


@dataclass(frozen=True)
class Leg:
    channel_id: str
    agent: bool = False
    state: str = "ANSWERED"
    held: bool = False


def customer(n: int, *, state: str = "ANSWERED", held: bool = False) -> Leg:
    return Leg(f"ch:customer:1390000000{n}->02100000000:1:{JOB}", state=state, held=held)


AGENT_LEG = Leg(f"ch:user:13900000001->8001:1:{JOB}", agent=True)


@dataclass(frozen=True)
class Layout:
    """An agent's current call as PollUserStatus reports it (`job` None: no call)."""

    name: str
    job: str | None
    legs: tuple[Leg, ...] = ()

    def live_other_parties(self) -> list[str]:
        """hold_call's candidates: a live (ANSWERED) channel that is not the agent's."""
        return [leg.channel_id for leg in self.legs if not leg.agent and leg.state == "ANSWERED"]

    def on_hold(self) -> list[str]:
        """retrieve_call's candidates: a channel flagged HOLD."""
        return [leg.channel_id for leg in self.legs if leg.held]


LAYOUTS = (
    Layout("no call", None),
    Layout("one customer", JOB, (customer(1), AGENT_LEG)),
    Layout("one customer on hold", JOB, (customer(1, held=True), AGENT_LEG)),
    Layout("two customers, one on hold", JOB, (customer(1), customer(2, held=True), AGENT_LEG)),
    Layout("two customers on hold", JOB, (customer(1, held=True), customer(2, held=True), AGENT_LEG)),
    Layout("one customer hung up, one live", JOB, (customer(1, state="RELEASED"), customer(2), AGENT_LEG)),
    Layout("a customer still ringing", JOB, (customer(1, state="EARLY"), AGENT_LEG)),
)


def layout_of(user_id: str) -> Layout:
    return LAYOUTS[zlib.crc32(user_id.encode()) % len(LAYOUTS)]


def user_with(layout: Layout) -> str:
    """A plausible user id whose call has `layout`."""
    return next(f"agent-{n}@ccc-demo" for n in range(1000) if layout_of(f"agent-{n}@ccc-demo") == layout)


def _envelope(request_id: str, data: dict[str, Any]) -> httpx.Response:
    body = {"Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": request_id, "Params": [], "Data": data}
    return httpx.Response(200, json=body)


def _status(user_id: str, instance_id: str, request_id: str) -> httpx.Response:
    layout = layout_of(user_id)
    user: dict[str, Any] = {"UserId": user_id, "InstanceId": instance_id, "Heartbeat": 1,
                            "UserState": "TALKING" if layout.job else "READY"}  # fmt: skip
    data: dict[str, Any] = {"UserContext": user}
    if layout.job:
        user["JobId"] = layout.job
        legs = [
            {"Index": i, "ChannelId": leg.channel_id, "ChannelState": leg.state, "JobId": layout.job,
             "UserId": user_id if leg.agent else "", "ChannelFlags": "HOLD" if leg.held else "",
             "Originator": "13900000001", "Destination": "02100000000"}
            for i, leg in enumerate(layout.legs, 1)
        ]  # fmt: skip
        data["CallContext"] = {"JobId": layout.job, "CallType": "INBOUND", "InstanceId": instance_id,
                               "ChannelContexts": legs}  # fmt: skip
    return _envelope(request_id, data)


LISTED_AGENT = "wang@ccc-test"  # the one agent every agent list of the fake holds


def _agents_page(seen: SeenRequest, request_id: str) -> httpx.Response:
    row = {"AgentId": LISTED_AGENT, "AgentName": "Wang Fang", "Extension": "8006", "State": "Talking",
           "StateCode": "", "Duration": 42, "CallType": "Inbound", "SkillGroupIdList": ["sg@ccc-test"],
           "SkillGroupNameList": ["Sales"], "WorkMode": "ON_SITE", "StateTime": 1}  # fmt: skip
    page, size = int(seen.query.get("PageNumber", "1")), int(seen.query.get("PageSize", "20"))
    return _envelope(request_id, {"PageNumber": page, "PageSize": size, "TotalCount": 1, "List": [row]})


class LayoutCcc(FakeCcc):
    """The fake CCC of tests/fakes.py (records every request, checks its signature), answering by action:
    PollUserStatus with the agent's layout, ListRealtimeAgentStates with a page, a call-control action with
    the API page's sample. The n-th request's RequestId is `REQ-n`."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        seen = self._inspect(request)
        self.seen.append(seen)
        request_id = f"REQ-{len(self.seen)}"
        if seen.action == "PollUserStatus":
            return _status(seen.query.get("UserId", ""), seen.query.get("InstanceId", ""), request_id)
        if seen.action == "ListRealtimeAgentStates":
            return _agents_page(seen, request_id)
        return _envelope(request_id, SAMPLE_RESPONSE["Data"])


# --- what a valid set must send ----------------------------------------------------------------------------


Request = tuple[str, dict[str, str], dict[str, Any]]  # the action, its exact query, its form body (decoded)


@dataclass
class Expected:
    """The requests a valid set sends, and how the call ends."""

    requests: list[Request]
    code: str | None = None  # None: ok
    resolved: tuple[str, str | None] | None = None  # (job_id, channel_id) the server looked up
    decided_by: int | None = None  # which request's id the answer carries (1-based); None: the last


def expect(tool: str, arguments: dict[str, Any]) -> Expected:
    """From the contract: what `tool` sends for a valid set, given the fake's layouts."""
    given = {name: value.strip() if isinstance(value, str) else value
             for name, value in arguments.items() if value is not None}  # fmt: skip
    as_given = {arg.wire: str(given[name]) for name, arg in CONTRACT[tool].items() if arg.wire and name in given}
    if tool == "list_agents":
        query = {"PageNumber": "1", "PageSize": str(DEFAULT_PAGE_SIZE), **as_given}
        form = {"StateList": [LIST_WORDS[state] for state in given["states"]]} if "states" in given else {}
        return Expected([("ListRealtimeAgentStates", query, form)])
    if tool == "list_calls":  # the fake lists one agent on a call: one page, then that agent's status
        query = {"PageNumber": "1", "PageSize": str(MAX_PAGE), **as_given}
        listed: Request = ("ListRealtimeAgentStates", query, {"StateList": ON_A_CALL})
        status = {"InstanceId": given["instance_id"], "UserId": LISTED_AGENT, "DeviceId": DEVICE_ID}
        return Expected([listed, ("PollUserStatus", status, {})], decided_by=1)
    poll: Request = (
        "PollUserStatus",
        {"InstanceId": given["instance_id"], "UserId": given["user_id"], "DeviceId": DEVICE_ID},
        {},
    )
    if tool == "get_agent_status":
        return Expected([poll])
    action: Request = (ACTION[tool], {**as_given, "DeviceId": DEVICE_ID}, {})
    find_job = "job_id" not in given and tool != "unmute_call"  # UnmuteCall needs no call id: CCC finds it
    find_channel = "channel_id" not in given and tool in ("hold_call", "retrieve_call")
    if not (find_job or find_channel):
        return Expected([action])
    layout = layout_of(given["user_id"])
    if layout.job is None or given.get("job_id", layout.job) != layout.job:
        return Expected([poll], "Resolve.NoCall")
    action[1]["JobId"] = layout.job
    if not find_channel:
        return Expected([poll, action], resolved=(layout.job, None))
    fits = layout.live_other_parties() if tool == "hold_call" else layout.on_hold()
    if len(fits) != 1:
        return Expected([poll], "Resolve.Ambiguous" if fits else "Resolve.NoChannel")
    action[1]["ChannelId"] = fits[0]
    return Expected([poll, action], resolved=(layout.job, fits[0]))


# --- the generators --------------------------------------------------------------------------------------

any_char = st.characters()  # every plane and category but lone surrogates, which nasty_char adds
nasty_char = st.sampled_from("\x00\r\n\t\x0b\x0c\x1b\x7f\x85\u200b\u200e\u2028\u2029\ufeff\ud800\udfff \u3000")
plausible_id = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=40)
padding = st.sampled_from(["", " ", "\n", "\t "])
id_text = st.one_of(
    plausible_id,
    st.text(alphabet=st.one_of(any_char, nasty_char), max_size=40),
    st.builds(lambda core, pad: pad + core + pad, st.text(min_size=1, max_size=20), padding),
    st.integers(min_value=240, max_value=300).map(lambda n: "x" * n),  # around the 256 limit
    st.integers(min_value=250, max_value=260).map(lambda n: " " + "é" * n + " "),
    st.just("agent@ccc-demo"),
)
good_id = st.one_of(  # always valid: what a careful model sends, stray whitespace included
    st.builds(lambda core, pad: pad + core + pad, plausible_id, padding),
    st.sampled_from([JOB, customer(1).channel_id, customer(2).channel_id, AGENT_LEG.channel_id, "agent@ccc-demo"]),
    st.sampled_from([user_with(layout) for layout in LAYOUTS]),
    st.just(" " + "é" * MAX_ID_LENGTH + "\n"),
)
# Finite floats only: JSON has no NaN or infinity (a client's encoder sends them as null or refuses them), so the
# server can only ever see null there — which the contract rightly calls blank, not invalid.
JSON_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), JSON_FLOATS, st.text(max_size=10))
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
state_word = st.one_of(
    st.sampled_from(STATES),
    st.sampled_from(["Talking", "ACW", "ready", " READY", "READY ", "HOLDING", ""]),
    st.text(max_size=8),
    json_scalar,
)
flag_word = st.one_of(st.sampled_from(FLAGS), st.sampled_from(["muted", "HOLD ", "MUTE", "HELD", ""]), json_scalar)
GOOD: dict[Kind, st.SearchStrategy[Any]] = {
    "id": good_id,
    "states": st.lists(st.sampled_from(STATES), min_size=1, max_size=len(STATES)),
    "flags": st.lists(st.sampled_from(FLAGS), min_size=1, max_size=len(FLAGS)),
    "page": st.integers(min_value=1, max_value=MAX_PAGE),
}
ANY: dict[Kind, st.SearchStrategy[Any]] = {
    "id": st.one_of(id_text, id_text, id_text, json_value),
    "states": st.one_of(GOOD["states"], st.lists(state_word, max_size=9), json_value),
    "flags": st.one_of(GOOD["flags"], st.lists(flag_word, max_size=8), json_value),
    "page": st.one_of(
        GOOD["page"],
        st.integers(min_value=-2, max_value=250),
        st.integers(),
        st.booleans(),
        JSON_FLOATS,
        st.sampled_from(["1", "20"]),
        json_value,
    ),
}
EVERY_NAME = sorted({name for contract in CONTRACT.values() for name in contract} | {"device_id"})


def unknown_name(tool: str) -> st.SearchStrategy[str]:
    """A name `tool` does not take: another tool's argument, the retired device_id, a near miss, anything."""
    names = CONTRACT[tool]
    near = [*EVERY_NAME, "userId", "UserId", "user_id ", "instance", "Action", "Signature", "__proto__", ""]
    return st.one_of(
        st.text(max_size=12).filter(lambda name: name not in names),
        st.sampled_from([name for name in near if name not in names]),
    )


def argument_sets(tool: str) -> st.SearchStrategy[dict[str, Any]]:
    contract = CONTRACT[tool]
    anything = {name: ANY[arg.kind] for name, arg in contract.items()} | {"device_id": ANY["id"]}
    required = {name: id_text for name, arg in contract.items() if arg.required}
    required_good = {name: GOOD[arg.kind] for name, arg in contract.items() if arg.required}
    optional_good = {name: GOOD[arg.kind] for name, arg in contract.items() if not arg.required}
    return st.one_of(
        st.fixed_dictionaries({}, optional=anything),  # anything at all, any name missing
        st.fixed_dictionaries(required, optional={n: s for n, s in anything.items() if n not in required}),
        st.fixed_dictionaries(required_good, optional=optional_good),  # valid: what each one sends
        st.builds(
            lambda base, extra: {**base, **extra},
            st.fixed_dictionaries(required_good, optional=optional_good),
            st.dictionaries(unknown_name(tool), json_value, min_size=1, max_size=2),
        ),
    )


# --- the server under test -------------------------------------------------------------------------------


class ServerUnderTest:
    """An in-memory MCP client of a real server whose upstream is the fake CCC; callable from sync code."""

    def __init__(self, portal: BlockingPortal, client: Client, fake: LayoutCcc, tools: list[Any]) -> None:
        self.portal, self.client, self.fake = portal, client, fake
        self.tools = {tool.name: tool for tool in tools}
        self.schemas = {tool.name: jsonschema.Draft202012Validator(tool.output_schema) for tool in tools}

    def call(self, tool: str, arguments: dict[str, Any] | None) -> tuple[Any, list[SeenRequest]]:
        """The tool result, and the requests that reached the upstream for it."""
        before = len(self.fake.seen)
        result = self.portal.call(self._call, tool, arguments)
        return result, self.fake.seen[before:]

    async def _call(self, tool: str, arguments: dict[str, Any] | None) -> Any:
        with anyio.fail_after(CALL_TIMEOUT):  # a hang fails the example
            return await self.client.call_tool(tool, arguments)


@pytest.fixture(scope="module", params=["auto", "legacy"], ids=["modern", "legacy"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerUnderTest]:
    # The suite's canary is this server's AccessKey secret, so the canary checks here can catch a leak.
    key = SigningKey("bad-input-access-key-id", CANARY_SECRET)
    fake = LayoutCcc(key=key)
    settings_ = load_settings(endpoint=FAKE_ENDPOINT, deadline=5.0, audit_log="off")
    mcp_server = build_server(settings_, credentials=StaticCredentials(key), transport=fake.transport())
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(mcp_server, mode=request.param)) as client,
    ):
        tools = portal.call(client.list_tools).tools
        for tool in tools:
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)  # checked once, not per answer
        yield ServerUnderTest(portal, client, fake, tools)


@dataclass
class Tally:
    """What was tried on one tool: answers by kind and code, and requests sent."""

    answers: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)


TRIED: defaultdict[str, Tally] = defaultdict(Tally)


@pytest.fixture(scope="module", autouse=True)
def _record_what_was_tried(figures: dict[str, Any]) -> Iterator[None]:
    """The tally of every answer checked here, per tool, for the report."""
    yield
    if TRIED:
        tools = {
            tool: {
                "sets": sum(tally.answers.values()),
                "answers": dict(tally.answers),
                "requests": dict(tally.requests),
            }
            for tool, tally in sorted(TRIED.items())
        }
        totals: Counter[str] = sum((tally.answers for tally in TRIED.values()), Counter())
        figures["bad_input"] = {
            "examples_per_mode": EXAMPLES,
            "remembered_per_tool": len(REMEMBERED),
            "modes": 2,
            "tools": tools,
            "answers": dict(totals),
            "total": sum(totals.values()),
        }


def check_answer(server: ServerUnderTest, tool: str, arguments: dict[str, Any] | None) -> None:
    """Whatever the arguments: a structured result in the tool's published shape, free of the canaries; then
    what the contract says of this set."""
    result, sent = server.call(tool, arguments)
    structured = result.structured_content
    assert structured is not None, "a tool result with structuredContent, never a bare error"
    server.schemas[tool].validate(structured)
    assert_clean(structured)
    assert json.loads(result.content[0].text) == structured
    assert result.is_error is (not structured["ok"])
    assert_no_canary(result.model_dump_json())
    TRIED[tool].requests.update(seen.action for seen in sent)
    wrong = problems(tool, arguments or {})
    if wrong:
        check_refused(structured, sent, wrong)
        TRIED[tool].answers[f"invalid: {structured['error']['code']}"] += 1
    else:
        expected = expect(tool, arguments or {})
        check_served(server, tool, arguments or {}, structured, sent, expected)
        TRIED[tool].answers[f"valid: {expected.code or 'OK'}"] += 1


def check_refused(structured: dict[str, Any], sent: list[SeenRequest], wrong: dict[str, str]) -> None:
    """An invalid set: no request, and an error naming one of the wrong arguments."""
    assert sent == [], f"an invalid set sent a request: {wrong}"
    error = structured["error"]
    assert error["code"] in ("Parameter.Blank", "Parameter.Invalid"), error
    assert error["params"], error
    named = error["params"][0]
    argument = named if named in wrong else named.split(".")[0]  # "states.2" is an item of states
    assert argument in wrong, (error, wrong)
    assert error["code"] == ("Parameter.Blank" if wrong[argument] == "blank" else "Parameter.Invalid"), error
    assert error["hint"]
    assert not PLACEHOLDER.search(QUOTED.sub('""', error["message"])), "no unfilled message template"
    assert "request_id" not in structured, "no request, so no request id (absent, not null)"


def check_served(
    server: ServerUnderTest,
    tool: str,
    arguments: dict[str, Any],
    structured: dict[str, Any],
    sent: list[SeenRequest],
    expected: Expected,
) -> None:
    """A valid set: exactly the expected requests, each validly signed, and the answer they lead to."""
    assert [seen.action for seen in sent] == [action for action, _, _ in expected.requests], structured
    for seen, (action, query, form) in zip(sent, expected.requests, strict=True):
        assert seen.signature_valid, f"{action} signed with the canary secret"
        assert seen.query == query, f"{action} carries the ids as given, trimmed"
        assert {name: json.loads(value) for name, value in seen.form.items()} == form, f"{action}'s form body"
    last = len(server.fake.seen)
    deciding = last - len(sent) + expected.decided_by if expected.decided_by else last
    assert structured["request_id"] == f"REQ-{deciding}", "the id of the request that decided the answer"
    if expected.code is None:
        assert structured["ok"] is True, structured
    else:
        assert structured["ok"] is False
        assert (structured["error"]["code"], structured["error"]["retryable"]) == (expected.code, False)
    if expected.resolved is not None:
        job_id, channel_id = expected.resolved
        assert f"the agent's current call {job_id}" in structured["resolved"] or "job_id as given" in structured["resolved"]
        if channel_id is not None:
            assert f"channel_id omitted: {channel_id}," in structured["resolved"], "the channel it found, named"
    elif tool not in ("list_agents", "list_calls", "get_agent_status") and structured["ok"]:
        assert "resolved" not in structured, "every id came from the caller"
    if tool == "get_agent_status":
        assert ("call_context" in structured) is (layout_of(arguments["user_id"].strip()).job is not None)


tool_calls = st.sampled_from(TOOLS).flatmap(lambda tool: st.tuples(st.just(tool), argument_sets(tool)))

# Argument sets every tool is tried with on every run, whatever hypothesis generates: mistakes found before,
# the edges of each kind, and one user of each call layout, so that every lookup branch is reached.
REMEMBERED: list[dict[str, Any]] = [
    {"instance_id": "ccc-demo", "user_id": "agent\ud800"},  # found by this test: it crashed
    {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo", "": 1},  # was named "arguments"
    {"instance_id": "ccc-demo", "user_id": "a\x1b[2J"},  # message showed "{code:04X}"
    {"instance_id": " \u3000 ", "user_id": "agent@ccc-demo"},
    {"instance_id": "ccc-demo", "user_id": " " + "é" * 256 + "\n"},
    {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo", "device_id": "ACC-1"},  # no longer an argument
    {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo", "job_id": None, "channel_id": None, "music": None},
    {"instance_id": "ccc-demo", "page": True},
    {"instance_id": "ccc-demo", "page": 1.0},
    {"instance_id": "ccc-demo", "states": ["READY"] * 8},
    {"instance_id": "ccc-demo", "states": ["TALKING", "TALKING"], "page": 100, "page_size": 1, "query": " 8006 "},
    *({"instance_id": "ccc-demo", "user_id": user_with(layout)} for layout in LAYOUTS),
    *({"instance_id": "ccc-demo", "user_id": user_with(layout), "job_id": JOB} for layout in LAYOUTS[1:]),
]


def for_every_tool(*argument_sets: dict[str, Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@example(call=(tool, arguments))` for every tool and every one of `argument_sets`."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for tool in reversed(TOOLS):
            for arguments in reversed(argument_sets):
                test = example(call=(tool, arguments))(test)
        return test

    return decorate


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(call=tool_calls)
@for_every_tool(*REMEMBERED)
def test_any_arguments_get_a_structured_answer(server: ServerUnderTest, call: tuple[str, dict[str, Any]]) -> None:
    tool, arguments = call
    check_answer(server, tool, arguments)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("arguments", [None, {}], ids=["no arguments", "empty object"])
def test_no_arguments_name_the_missing_one(
    server: ServerUnderTest, tool: str, arguments: dict[str, Any] | None
) -> None:
    check_answer(server, tool, arguments)


@pytest.mark.parametrize("tool", TOOLS)
def test_the_published_input_schema_is_the_contract(server: ServerUnderTest, tool: str) -> None:
    """What a model reads agrees with the contract the oracle above checks answers against."""
    schema = server.tools[tool].input_schema
    contract = CONTRACT[tool]
    assert set(schema["properties"]) == set(contract)
    assert set(schema["required"]) == {name for name, arg in contract.items() if arg.required}
    assert schema.get("additionalProperties") is False, "unknown names are refused, and say so"
    for name, arg in contract.items():
        prop = schema["properties"][name]
        if arg.kind == "id":
            assert (prop["type"], prop["minLength"], prop["maxLength"]) == ("string", 1, MAX_ID_LENGTH), name
        elif arg.kind in ("states", "flags"):
            words = STATES if arg.kind == "states" else FLAGS
            assert (prop["type"], prop["minItems"], prop["maxItems"]) == ("array", 1, len(words)), name
            assert (prop["items"]["type"], set(prop["items"]["enum"])) == ("string", set(words)), name
        else:
            assert (prop["type"], prop["minimum"], prop["maximum"]) == ("integer", 1, MAX_PAGE), name
