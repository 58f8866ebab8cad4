"""The scenarios the simulator ships: the ccc-demo cast (`default_scenario`) and a generated floor beside
it (`with_floor`), as `ccc-mcp simulator [--floor N]` and `ccc-mcp serve --simulator` serve them.

The default scenario is fixed: its names are documented and relied upon by the demo, the docs and tests.
Its timestamps are fixed too, as the state at start; what happens afterwards is stamped by the clock.
Both are scenarios like any file a user writes (`scenario.py` validates them the same way), kept apart
from the schema because they are data the docs describe (docs/simulator.md, "The default scenario").
"""

from __future__ import annotations

from ccc_mcp.simulator.floor import FLOOR_INSTANCE_ID
from ccc_mcp.simulator.scenario import (
    AgentSpec,
    CallSpec,
    ChannelSpec,
    CredentialSpec,
    InstanceSpec,
    Scenario,
    SkillGroupSpec,
    parse_scenario,
)

__all__ = [
    "DEMO_INSTANCE_ID",
    "DEMO_USER_ID",
    "default_scenario",
    "with_floor",
]

DEMO_INSTANCE_ID = "ccc-demo"
DEMO_ACCESS_KEY_ID = "sim-access-key-id"
DEMO_ACCESS_KEY_SECRET = "sim-access-key-secret"  # noqa: S105 - a published demo credential
DEMO_USER_ID = "agent@ccc-demo"
DEMO_JOB_ID = "job-demo-1"
# Published demo credentials of the default scenario: an STS one, and a disabled one.
STS_ACCESS_KEY_ID = "sim-sts-access-key-id"
STS_ACCESS_KEY_SECRET = "sim-sts-access-key-secret"  # noqa: S105
STS_SECURITY_TOKEN = "sim-security-token"  # noqa: S105
DISABLED_ACCESS_KEY_ID = "sim-disabled-access-key-id"
DISABLED_ACCESS_KEY_SECRET = "sim-disabled-access-key-secret"  # noqa: S105


# -- the default scenario --------------------------------------------------------------------------

_T0 = 1_700_000_000_000  # fixed epoch ms: the state at start (and channel ids) are the same on every run
_SKILL_GROUP = "skillgroup@ccc-demo"
_SKILL_GROUP_NAME = "Demo Hotline"
_HOTLINE = "02100000000"
WANG_USER_ID = "wang@ccc-demo"
WANG_JOB_ID = "job-demo-3"


def _legs(
    job_id: str, user_id: str, extension: str, customer: str, agent_state: str, agent_flags: list[str], offset: int,
    *, outbound: bool = False,
) -> list[ChannelSpec]:
    """A customer's leg and an agent's leg, named the way CCC names channels: an inbound call's customer dialled
    the hotline and was put through to the agent; an outbound call's agent dialled the customer from it."""
    start = _T0 + offset
    caller, called = (_HOTLINE, customer) if outbound else (customer, _HOTLINE)
    agent_from, agent_to = (extension, customer) if outbound else (customer, extension)
    return [
        ChannelSpec(
            channel_id=f"ch:customer:{caller}->{called}:{start}:{job_id}",
            state="ANSWERED",
            originator=caller,
            destination=called,
            timestamp=start + 1_000,
        ),
        ChannelSpec(
            channel_id=f"ch:user:{agent_from}->{agent_to}:{start}:{job_id}",
            state=agent_state,
            user_id=user_id,
            flags=agent_flags,
            user_extension=extension,
            skill_group_id=_SKILL_GROUP,
            originator=agent_from,
            destination=agent_to,
            timestamp=start + 2_000,
        ),
    ]


def _agent(
    user_id: str,
    display_name: str,
    state: str,
    extension: str,
    job_id: str | None = None,
    break_code: str | None = None,
    call_offset: int | None = None,
) -> AgentSpec:
    """A demo agent: employee number 100N for extension 800N; reserved when their call came in."""
    return AgentSpec(
        user_id=user_id,
        state=state,
        job_id=job_id,
        device_id=f"ACC-SIM-{extension}",
        extension=extension,
        mobile=f"1380000{extension}",
        work_mode="ON_SITE",
        break_code=break_code,
        heartbeat=_T0 + 5_000,
        skill_groups=[_SKILL_GROUP],
        display_name=display_name,
        display_id=f"1{extension[1:]}",
        device_state="UNREGISTERED",
        reserved=_T0 + call_offset if call_offset is not None else None,
    )


def _demo_calls() -> list[CallSpec]:
    return [
        CallSpec(
            job_id=DEMO_JOB_ID,
            call_type="INBOUND",
            channels=_legs(DEMO_JOB_ID, DEMO_USER_ID, "8001", "13900000001", "ANSWERED", ["MUTED"], 0),
        ),
        CallSpec(
            job_id="job-demo-2",
            call_type="INBOUND",
            channels=_legs("job-demo-2", "ringing@ccc-demo", "8003", "13900000002", "EARLY", [], 60_000),
        ),
        CallSpec(
            job_id="job-demo-cti",
            call_type="OUTBOUND",
            cti_error="The CTI gateway did not answer in time (simulated).",
            channels=_legs(
                "job-demo-cti", "cti-fail@ccc-demo", "8004", "13900000004", "ANSWERED", ["MUTED"], 120_000,
                outbound=True,
            ),
        ),
        CallSpec(
            job_id=WANG_JOB_ID,
            call_type="INBOUND",
            channels=_legs(WANG_JOB_ID, WANG_USER_ID, "8006", "13900000006", "ANSWERED", [], 300_000),
        ),
    ]


def default_scenario() -> Scenario:
    """The fixed demo cast; see docs/simulator.md for which request reaches which error code."""
    return Scenario(
        name="default",
        description=(
            "ccc-demo: one muted call ready to unmute, Wang Fang on a call ready to hold, retrieve, mute and "
            "unmute, and a way to reach every error code."
        ),
        credentials=[
            CredentialSpec(
                access_key_id=DEMO_ACCESS_KEY_ID, access_key_secret=DEMO_ACCESS_KEY_SECRET, user_id=DEMO_USER_ID
            ),
            CredentialSpec(
                access_key_id=STS_ACCESS_KEY_ID,
                access_key_secret=STS_ACCESS_KEY_SECRET,
                security_token=STS_SECURITY_TOKEN,
                user_id=DEMO_USER_ID,
            ),
            CredentialSpec(
                access_key_id=DISABLED_ACCESS_KEY_ID, access_key_secret=DISABLED_ACCESS_KEY_SECRET, disabled=True
            ),
        ],
        instances=[
            InstanceSpec(
                instance_id=DEMO_INSTANCE_ID,
                skill_groups=[SkillGroupSpec(skill_group_id=_SKILL_GROUP, name=_SKILL_GROUP_NAME)],
                agents=[
                    _agent(DEMO_USER_ID, "Zhang Wei", "TALKING", "8001", job_id=DEMO_JOB_ID, call_offset=0),
                    _agent("idle@ccc-demo", "Li Na", "READY", "8002"),
                    _agent("ringing@ccc-demo", "Liu Yang", "TALKING", "8003", job_id="job-demo-2", call_offset=60_000),
                    _agent(
                        "cti-fail@ccc-demo", "Chen Jie", "TALKING", "8004", job_id="job-demo-cti", call_offset=120_000
                    ),
                    _agent("break@ccc-demo", "Zhao Min", "BREAK", "8005", break_code="Warm-up"),
                    _agent(WANG_USER_ID, "Wang Fang", "TALKING", "8006", job_id=WANG_JOB_ID, call_offset=300_000),
                ],
                calls=_demo_calls(),
            )
        ],
    )


# -- a generated floor beside the cast -------------------------------------------------------------


def with_floor(
    scenario: Scenario, agents: int, *, seed: int = 0, instance_id: str = FLOOR_INSTANCE_ID
) -> Scenario:
    """`scenario` plus an instance whose floor of `agents` is generated (`ccc-mcp simulator --floor N`).

    The instance is added, never swapped in: the scenario's own instances (the ccc-demo cast) stay as they
    are, and its credentials reach the floor too. A clash of instance ids is a ScenarioError."""
    data = scenario.model_dump()
    floor = {"instance_id": instance_id, "floor": {"agents": agents, "seed": seed}}
    data["instances"] = [*data["instances"], floor]
    return parse_scenario(data, f"The scenario with a floor of {agents} agents")
