"""A generated floor: an instance of N agents with the mix of a real contact centre, the same for a given N
and seed (docs/simulator.md, "A generated floor").

How many agents are in each state, muted, held or on a consult call is a function of N alone (`floor_mix`),
so a test or a benchmark knows the counts without looking; the seed decides only who is where and the
times. Everything is relative to the moment the scenario starts: state times, call starts and hold starts
lie before it, spread out, so durations look like a live floor's whatever the clock says.

The generator builds the state's own objects directly (no scenario models in between): a floor of 10,000
agents is built in well under a second, and a scenario file stays one line long (`"floor": {"agents": N}`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from ccc_mcp.simulator.centre import HOLD, MUTED, Agent, Call, Channel, SkillGroup

__all__ = [
    "BREAK_CODES",
    "FLOOR_INSTANCE_ID",
    "FLOOR_MAX_AGENTS",
    "FloorMix",
    "FloorSpec",
    "GeneratedFloor",
    "floor_agent_id",
    "floor_mix",
    "generate_floor",
]

FLOOR_INSTANCE_ID = "ccc-floor"
FLOOR_MAX_AGENTS = 10_000  # what ListRealtimeAgentStates can reach: 100 pages of 100
HOTLINE = "02100000000"

SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
GIVEN_NAMES = (
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Jun", "Yan", "Tao", "Ming",
    "Chao", "Xia", "Ping", "Gang", "Hui", "Qiang", "Juan", "Yong", "Jie", "Hong",
)  # fmt: skip
BREAK_CODES = ("Warm-up", "Lunch", "Training", "RingingTimeout")
# (id before '@', name): every agent is in one of these, by index
PRIMARY_GROUPS = (
    ("sales", "Sales"), ("support", "Customer Support"), ("billing", "Billing"),
    ("tech", "Technical Support"), ("retention", "Retention"),
)  # fmt: skip
VIP_GROUP = ("vip", "VIP")  # and every eighth agent in this one too
VIP_EVERY = 8


class FloorSpec(BaseModel):
    """An instance's `floor` block: generate this many agents (and their calls and skill groups)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agents: int = Field(ge=1, le=FLOOR_MAX_AGENTS, description="How many agents; the mix follows from it.")
    seed: int = Field(0, description="Who gets which state, and the times; the counts do not depend on it.")


@dataclass(frozen=True, slots=True)
class FloorMix:
    """How many agents of a floor of `agents` are in each situation (docs/simulator.md gives the formulas).

    Two-party calls are those of the TALKING agents not on a consult call; `muted_only`, `held_only`,
    `muted_and_held` and `outbound` count among them. Every consult call has its customer on hold.
    """

    agents: int
    offline: int
    on_break: int
    after_call_work: int
    ready: int
    ringing: int
    dialing: int
    consult_calls: int
    two_party: int
    muted_only: int
    held_only: int
    muted_and_held: int
    outbound: int

    @property
    def talking(self) -> int:
        return self.two_party + 2 * self.consult_calls

    @property
    def muted(self) -> int:
        """Agents whose own channel is muted."""
        return self.muted_only + self.muted_and_held

    @property
    def held(self) -> int:
        """Customers on hold: held two-party calls, and every consult call's customer."""
        return self.held_only + self.muted_and_held + self.consult_calls

    @property
    def live_calls(self) -> int:
        return self.two_party + self.consult_calls + self.ringing + self.dialing

    def break_codes(self) -> dict[str, int]:
        """Break codes go round `BREAK_CODES` in list order."""
        return {code: (self.on_break - k + len(BREAK_CODES) - 1) // len(BREAK_CODES)
                for k, code in enumerate(BREAK_CODES) if k < self.on_break}  # fmt: skip

    def skill_group_members(self, instance_id: str) -> dict[str, int]:
        """Agent i (0-based) is in primary group i mod 5, and in VIP when i mod 8 is 0."""
        groups = len(PRIMARY_GROUPS)
        members = {f"{key}@{instance_id}": (self.agents - g + groups - 1) // groups
                   for g, (key, _) in enumerate(PRIMARY_GROUPS) if g < self.agents}  # fmt: skip
        members[f"{VIP_GROUP[0]}@{instance_id}"] = (self.agents + VIP_EVERY - 1) // VIP_EVERY
        return members

    def surnames(self) -> dict[str, int]:
        """Agent i's surname is SURNAMES[i mod 10], so about one agent in ten is a Wang."""
        count = len(SURNAMES)
        return {name: (self.agents - s + count - 1) // count for s, name in enumerate(SURNAMES) if s < self.agents}


def floor_mix(agents: int) -> FloorMix:
    """The counts of a floor of `agents` (the same whatever the seed)."""
    n = agents
    offline, on_break, acw, ready = n // 20, n // 10, n // 10, n // 10
    ringing = dialing = consult = n // 50
    two_party = n - offline - on_break - acw - ready - ringing - dialing - 2 * consult
    return FloorMix(
        agents=n, offline=offline, on_break=on_break, after_call_work=acw, ready=ready, ringing=ringing,
        dialing=dialing, consult_calls=consult, two_party=two_party, muted_only=two_party // 10,
        held_only=two_party // 10, muted_and_held=two_party // 50, outbound=two_party // 4,
    )  # fmt: skip


def floor_agent_id(instance_id: str, number: int) -> str:
    """The user id of agent `number` (1-based): `agent00001@ccc-floor`."""
    return f"agent{number:05d}@{instance_id}"


@dataclass(slots=True)
class GeneratedFloor:
    """What `generate_floor` makes: the instance's skill groups, agents and calls, in list order."""

    skill_groups: dict[str, SkillGroup] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)


# Roles, one per agent; shuffled by the seed.
_OFFLINE, _BREAK, _ACW, _READY, _RINGING, _DIALING = "OFFLINE", "BREAK", "WORKING", "READY", "RINGING", "DIALING"
_CONSULTING, _CONSULTED, _TALKING = "CONSULTING", "CONSULTED", "TALKING"
# What happens on a two-party call; shuffled by the seed.
_PLAIN, _MUTED, _HELD, _BOTH = "plain", "muted", "held", "both"


def _roles(mix: FloorMix, rng: random.Random) -> list[str]:
    roles = (
        [_OFFLINE] * mix.offline + [_BREAK] * mix.on_break + [_ACW] * mix.after_call_work + [_READY] * mix.ready
        + [_RINGING] * mix.ringing + [_DIALING] * mix.dialing
        + [_CONSULTING] * mix.consult_calls + [_CONSULTED] * mix.consult_calls + [_TALKING] * mix.two_party
    )  # fmt: skip
    rng.shuffle(roles)
    return roles


def _two_party_calls(mix: FloorMix, rng: random.Random) -> Iterator[tuple[str, bool]]:
    """(what happens on the call, whether it is outbound), one per two-party call, in list order."""
    rest = mix.two_party - mix.muted_only - mix.held_only - mix.muted_and_held
    kinds = [_MUTED] * mix.muted_only + [_HELD] * mix.held_only + [_BOTH] * mix.muted_and_held + [_PLAIN] * rest
    outbound = [True] * mix.outbound + [False] * (mix.two_party - mix.outbound)
    rng.shuffle(kinds)
    rng.shuffle(outbound)
    return zip(kinds, outbound, strict=True)


def _profile(instance_id: str, index: int) -> Agent:
    """Agent `index` (0-based) with everything that does not depend on the seed."""
    number = index + 1
    extension = str(10_000 + number)
    primary = f"{PRIMARY_GROUPS[index % len(PRIMARY_GROUPS)][0]}@{instance_id}"
    groups = [primary, f"{VIP_GROUP[0]}@{instance_id}"] if index % VIP_EVERY == 0 else [primary]
    surname = SURNAMES[index % len(SURNAMES)]
    given = GIVEN_NAMES[(index // len(SURNAMES)) % len(GIVEN_NAMES)]
    login = f"agent{number:05d}"
    return Agent(
        user_id=floor_agent_id(instance_id, number),
        device_id=f"ACC-FLOOR-{extension}",
        extension=extension,
        mobile=f"138{number:08d}",
        work_mode="OFFICE_PHONE" if index % 10 == 8 else "OFF_SITE" if index % 10 == 9 else "ON_SITE",
        skill_groups=groups,
        login_name=login,
        display_name=f"{surname} {given}",
        display_id=f"E{number:05d}",
        email=f"{login}@example.com",
        device_state="ONLINE",
    )


class _Builder:
    """Fills in the live state of each agent by role, drawing times from the seeded generator."""

    def __init__(self, started_at: int, rng: random.Random) -> None:
        self.now = started_at
        self.rng = rng
        self.calls: dict[str, Call] = {}
        self.breaks = 0

    def ago(self, low: int, high: int) -> int:
        """A moment between `low` and `high` seconds before the start, in epoch ms."""
        return self.now - self.rng.randint(low, high) * 1_000

    def new_call(self, call_type: str, channels: list[Channel]) -> Call:
        job_id = f"job-{len(self.calls) + 1:05d}"
        for channel in channels:
            channel.channel_id = f"{channel.channel_id}:{job_id}"
        call = Call(job_id=job_id, call_type=call_type, channels=channels)
        self.calls[job_id] = call
        return call

    def customer(self) -> str:
        return f"139{len(self.calls) + 1:08d}"

    def without_call(self, agent: Agent, role: str) -> None:
        """READY, WORKING (after-call work), BREAK (with a break code) or OFFLINE (its heartbeat stopped)."""
        agent.state = role
        if role == _READY:
            agent.state_since = self.ago(1, 900)
        elif role == _ACW:
            agent.state_since = self.ago(2, 180)
        elif role == _BREAK:
            agent.state_since = self.ago(60, 3_600)
            agent.break_code = BREAK_CODES[self.breaks % len(BREAK_CODES)]
            self.breaks += 1
        else:
            agent.state_since = self.ago(1_800, 43_200)
            agent.heartbeat = agent.state_since
            agent.device_state = "OFFLINE"

    def agent_leg(self, agent: Agent, state: str, originator: str, destination: str, at: int) -> Channel:
        return Channel(
            channel_id=f"ch:user:{originator}->{destination}", state=state, user_id=agent.user_id,
            user_extension=agent.extension, skill_group_id=agent.skill_groups[-1],
            originator=originator, destination=destination, timestamp=at,
        )  # fmt: skip

    @staticmethod
    def customer_leg(state: str, originator: str, destination: str, at: int) -> Channel:
        return Channel(f"ch:customer:{originator}->{destination}", state, originator=originator,
                       destination=destination, timestamp=at)  # fmt: skip

    def two_party(self, agent: Agent, kind: str, outbound: bool) -> None:
        """A TALKING agent with a customer: answered a while ago; maybe muted since, maybe holding."""
        customer, ext = self.customer(), agent.extension or ""
        talk = self.rng.randint(20, 1_500)
        answered = self.now - talk * 1_000
        if outbound:
            started = answered - self.rng.randint(5, 25) * 1_000
            agent_leg = self.agent_leg(agent, "ANSWERED", ext, customer, started)
            customer_leg = self.customer_leg("ANSWERED", HOTLINE, customer, answered)
            legs = [agent_leg, customer_leg]
        else:
            offered = answered - self.rng.randint(2, 12) * 1_000
            started = offered - self.rng.randint(3, 40) * 1_000
            customer_leg = self.customer_leg("ANSWERED", customer, HOTLINE, started + 1_000)
            agent_leg = self.agent_leg(agent, "ANSWERED", customer, ext, answered)
            legs = [customer_leg, agent_leg]
            agent.reserved = offered
        if kind in (_MUTED, _BOTH):
            agent_leg.flags.append(MUTED)
            agent_leg.timestamp = self.ago(3, talk - 2)
        if kind in (_HELD, _BOTH):
            customer_leg.flags.append(HOLD)
            customer_leg.timestamp = self.ago(5, min(600, talk - 5))  # when the hold began
        self.on_call(agent, "TALKING", answered, self.new_call("OUTBOUND" if outbound else "INBOUND", legs))

    def consult(self, first: Agent, second: Agent) -> None:
        """Three parties: `first` took an inbound call, put the customer on hold and consults `second`."""
        customer, ext = self.customer(), first.extension or ""
        talk = self.rng.randint(120, 1_500)
        answered = self.now - talk * 1_000
        offered = answered - self.rng.randint(2, 12) * 1_000
        consulted = self.ago(10, min(300, talk - 30))
        customer_leg = self.customer_leg("ANSWERED", customer, HOTLINE, consulted)
        customer_leg.flags.append(HOLD)
        legs = [
            customer_leg,
            self.agent_leg(first, "ANSWERED", customer, ext, answered),
            self.agent_leg(second, "ANSWERED", ext, second.extension or "", consulted + 6_000),
        ]
        call = self.new_call("INBOUND", legs)
        first.reserved = offered
        self.on_call(first, "TALKING", answered, call, "Consulting", second.user_id)
        self.on_call(second, "TALKING", consulted + 6_000, call, "Consulted", first.user_id)

    def ringing(self, agent: Agent) -> None:
        """RINGING: an inbound customer is offered to the agent, whose leg is still EARLY."""
        customer, ext = self.customer(), agent.extension or ""
        offered = self.ago(1, 20)
        started = offered - self.rng.randint(3, 60) * 1_000
        legs = [self.customer_leg("ANSWERED", customer, HOTLINE, started + 1_000),
                self.agent_leg(agent, "EARLY", customer, ext, offered)]  # fmt: skip
        agent.reserved = offered
        self.on_call(agent, "RINGING", offered, self.new_call("INBOUND", legs))

    def dialing(self, agent: Agent) -> None:
        """DIALING: the agent's leg is up and the customer's phone is ringing (EARLY)."""
        customer, ext = self.customer(), agent.extension or ""
        started = self.ago(1, 30)
        legs = [self.agent_leg(agent, "ANSWERED", ext, customer, started),
                self.customer_leg("EARLY", HOTLINE, customer, min(started + 500, self.now))]  # fmt: skip
        self.on_call(agent, "DIALING", started, self.new_call("OUTBOUND", legs))

    @staticmethod
    def on_call(
        agent: Agent, state: str, since: int, call: Call, code: str | None = None, counter_party: str | None = None
    ) -> None:
        agent.state, agent.state_since, agent.job_id = state, since, call.job_id
        agent.state_code, agent.counter_party = code, counter_party


def generate_floor(instance_id: str, spec: FloorSpec, started_at: int) -> GeneratedFloor:
    """The floor of `spec` in instance `instance_id`, as it stands at `started_at` (epoch ms)."""
    mix = floor_mix(spec.agents)
    rng = random.Random(spec.seed)  # noqa: S311 - a reproducible scenario, not security
    roles = _roles(mix, rng)
    calls = _two_party_calls(mix, rng)
    agents = [_profile(instance_id, index) for index in range(mix.agents)]
    partners = iter([a for a, role in zip(agents, roles, strict=True) if role == _CONSULTED])
    build = _Builder(started_at, rng)
    for agent, role in zip(agents, roles, strict=True):
        if role == _TALKING:
            build.two_party(agent, *next(calls))
        elif role == _CONSULTING:
            build.consult(agent, next(partners))
        elif role == _RINGING:
            build.ringing(agent)
        elif role == _DIALING:
            build.dialing(agent)
        elif role != _CONSULTED:  # set up with their partner
            build.without_call(agent, role)
    groups = [*PRIMARY_GROUPS[: mix.agents], VIP_GROUP]
    return GeneratedFloor(
        skill_groups={f"{key}@{instance_id}": SkillGroup(f"{key}@{instance_id}", name) for key, name in groups},
        agents={agent.user_id: agent for agent in agents},
        calls=build.calls,
    )
