"""The default scenario's names, as tests spell them (docs/simulator.md has the same table)."""

from __future__ import annotations

INSTANCE = "ccc-demo"
AGENT = "agent@ccc-demo"
IDLE = "idle@ccc-demo"
RINGING = "ringing@ccc-demo"
CTI_FAIL = "cti-fail@ccc-demo"
BREAK = "break@ccc-demo"
WANG = "wang@ccc-demo"
EVERYONE = [AGENT, IDLE, RINGING, CTI_FAIL, BREAK, WANG]

AGENT_JOB = "job-demo-1"
AGENT_CHANNEL = "ch:user:13900000001->8001:1700000000000:job-demo-1"
AGENT_CUSTOMER = "ch:customer:13900000001->02100000000:1700000000000:job-demo-1"
CTI_JOB = "job-demo-cti"
CTI_CUSTOMER = "ch:customer:02100000000->13900000004:1700000120000:job-demo-cti"
RINGING_JOB = "job-demo-2"
RINGING_CHANNEL = "ch:user:13900000002->8003:1700000060000:job-demo-2"
WANG_JOB = "job-demo-3"
WANG_CHANNEL = "ch:user:13900000006->8006:1700000300000:job-demo-3"
WANG_CUSTOMER = "ch:customer:13900000006->02100000000:1700000300000:job-demo-3"

SKILL_GROUP = "skillgroup@ccc-demo"
SKILL_GROUP_NAME = "Demo Hotline"
CTI_DETAIL = "The CTI gateway did not answer in time (simulated)."

# A fixed "now" ten minutes after the default scenario's _T0, for byte-for-byte answers.
T_NOW = 1_700_000_600_000

T_CHANNEL = "The operation is not allowed. Channel stats (%s) does not meet expectations (%s)."
T_STATE = "The operation is not allowed. User state (%s) does not meet expectations (%s)."
