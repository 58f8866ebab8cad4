"""Write docs/reliability.md from the reliability suite's own output.

    pytest -m reliability                 # writes .reliability/last-run.json
    python scripts/reliability_report.py  # renders it into docs/reliability.md (and keeps the JSON beside it)

The page is never edited by hand: it is this script's rendering of the JSON the suite wrote. A test
(`tests/repository/test_reliability_report.py`, through `--check`) fails when the checked-in page is not the
rendering of the checked-in JSON, and when that JSON was produced by other code than the tree's: the suite
records a digest of the code it ran (the package and the suite itself), and `--check` compares it with the
tree's. After changing either, rerun both commands above.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_OUTPUT = ROOT / ".reliability" / "last-run.json"
DOC = ROOT / "docs" / "reliability.md"
DOC_DATA = ROOT / "docs" / "reliability-last-run.json"
# The code whose behaviour the figures describe: the package, and the suite that measured it.
MEASURED = ("server/ccc_mcp/**/*.py", "tests/reliability/*.py", "tests/conftest.py", "tests/fakes.py")


def source_digest(root: Path = ROOT) -> str:
    """SHA-256 over the measured files' paths and bytes, in a stable order: equal only for the same code."""
    digest = hashlib.sha256()
    paths = sorted({path for pattern in MEASURED for path in root.glob(pattern) if "__pycache__" not in path.parts})
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def held(outcomes: dict[str, str], prefix: str) -> str:
    """'held' if every test whose id starts with `prefix` passed, else what failed."""
    mine = {name: outcome for name, outcome in outcomes.items() if name.startswith(prefix)}
    if not mine:
        return "not run"
    failed = [name for name, outcome in mine.items() if outcome != "passed"]
    return f"held ({len(mine)}/{len(mine)} tests)" if not failed else f"**FAILED**: {', '.join(sorted(failed))}"


def counts(table: dict[str, int]) -> str:
    """{"OK": 3, "Throttling.User": 1} -> "OK 3, Throttling.User 1"."""
    return ", ".join(f"{key} {n:,}" for key, n in sorted(table.items())) or "none"


def in_order(targets: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A fault's targets in the suite's order (the JSON's keys are sorted)."""
    return dict(sorted(targets.items(), key=lambda item: int(item[1].get("order", 0))))


def tools_of(targets: dict[str, dict[str, Any]]) -> list[str]:
    """The tools of a fault's targets, in the suite's order."""
    return list(dict.fromkeys(target["tool"] for target in in_order(targets).values()))


def _targets(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The targets of the first fault recorded (every fault has the same ones), in the suite's order."""
    for section in ("faults", "transient"):
        for fault in data.get(section, {}).values():
            return in_order(fault["targets"])
    return {}


def summary(data: dict[str, Any]) -> list[str]:
    outcomes: dict[str, str] = data.get("outcomes", {})
    bad = data.get("bad_input", {})
    faults, transient = data.get("faults", {}), data.get("transient", {})
    concurrency, soak, secrets = data.get("concurrency", {}), data.get("soak", {}), data.get("secrets", {})
    targets = _targets(data)
    tools = tools_of(targets)
    valid = sum(n for answer, n in bad.get("answers", {}).items() if answer.startswith("valid"))
    canaries = secrets.get("canaries", [])
    rows = [
        (
            "Bad input (hypothesis)",
            f"{bad.get('total', 0):,} argument sets, generated and remembered, for {len(bad.get('tools', {}))} "
            f"tools over {bad.get('modes', 0)} protocol modes ({valid:,} valid)",
            "every answer a tool result conforming to that tool's outputSchema; invalid sets sent no request; "
            "valid sets sent exactly the requests the contract names, ids as given (trimmed), validly signed",
            held(outcomes, "test_bad_input.py"),
        ),
        (
            "Persistent faults",
            f"{len(faults)} fault kinds, each on every attempt, against {len(targets)} targets: all "
            f"{len(tools)} tools, and the lookup and the action of those that look ids up",
            "bounded attempts at each request, inside the deadline, structured error with the right retryable, "
            "next call served",
            held(outcomes, "test_faults.py::test_persistent_fault"),
        ),
        (
            "Transient faults",
            f"{len(transient)} faults that happen once, against the same {len(targets)} targets",
            "absorbed by a retry (or waited out): the call succeeds",
            held(outcomes, "test_faults.py::test_transient"),
        ),
        (
            "Cancellation",
            "clients that give up mid-call (HTTP both eras, in-memory, client timeout)",
            "upstream request cancelled before it was applied; the server keeps serving",
            held(outcomes, "test_cancellation.py"),
        ),
        (
            "Concurrency",
            f"{concurrency.get('calls', 0)} concurrent calls of {len(concurrency.get('tools', {}))} tools over "
            f"HTTP, signed with {concurrency.get('signing', '?')}, with faults mixed in",
            "every call answered with a result conforming to its tool's outputSchema",
            held(outcomes, "test_concurrency.py"),
        ),
        (
            "Soak",
            f"{soak.get('calls', 0):,} calls of {len(soak.get('tools', {}))} tools over HTTP to a server process",
            f"RSS growth {soak.get('rss_growth_mib', '?')} MiB; every call audited",
            held(outcomes, "test_soak.py"),
        ),
        (
            "Secrets",
            f"{len(canaries)} canaries ({', '.join(canaries)}) in every suite; every tool signing with a "
            f"long-term AccessKey and with STS, in process and in a server process at DEBUG; "
            f"{secrets.get('texts', 0):,} texts checked ({secrets.get('characters', 0):,} characters)",
            "never in a tool result, a log record (with its arguments) at DEBUG, the server process's log or "
            "its audit lines",
            "held" if outcomes and all(o == "passed" for o in outcomes.values()) else "see failures",
        ),
    ]
    return table(("suite", "what was tried", "what must hold", "last run"), rows)


def bad_input_tables(data: dict[str, Any]) -> list[str]:
    bad = data.get("bad_input")
    if not bad:
        return []
    rows = []
    for tool, tried in bad["tools"].items():
        answers: dict[str, int] = tried["answers"]
        refused = {key.split(": ", 1)[1]: n for key, n in answers.items() if key.startswith("invalid")}
        served = {key.split(": ", 1)[1]: n for key, n in answers.items() if key.startswith("valid")}
        rows.append((f"`{tool}`", f"{tried['sets']:,}", counts(refused), counts(served), counts(tried["requests"])))
    return [
        "## Bad input",
        "",
        f"{bad['examples_per_mode']:,} generated argument sets per protocol mode, spread over the tools, plus "
        f"{bad['remembered_per_tool']} remembered ones for every tool (earlier crashes, the edges of each kind of "
        "argument, one agent of each call layout of the fake CCC).",
        "",
        *table(
            ("tool", "argument sets", "refused, no request", "valid: answers", "requests sent"),
            rows,
        ),
        "",
    ]


def _attempts_by_tool(targets: dict[str, dict[str, Any]], tools: list[str], expected: str) -> list[str]:
    """One cell per tool: the attempts at the faulted request of each of its targets, joined by " · "; a
    target that answered other than `expected` says what it answered."""
    cells = []
    for tool in tools:
        parts = []
        for target in in_order(targets).values():
            if target["tool"] != tool:
                continue
            note = "" if target["answer"] == expected else f" → `{target['answer']}`"
            parts.append(f"{target['attempts']}{note}")
        cells.append(" · ".join(parts))
    return cells


def fault_tables(data: dict[str, Any]) -> list[str]:
    targets = _targets(data)
    tools = tools_of(targets)
    lines = [
        "## Faults",
        "",
        "Injected by the simulator on every attempt at one request of each target, against a server with a 2 s "
        "deadline and at most 3 attempts. Each target runs against its own simulator; the attempts are counted "
        "there, per action. The server itself retries throttling, 5xx answers and transport failures; an "
        "unreadable answer with status 200 is not retried (CCC probably applied the action) but is reported "
        "retryable, because repeating the call never doubles an action.",
        "",
        "The targets: " + "; ".join(f"`{name}`" for name in targets) + ". A cell lists the attempts at the "
        "faulted request of each target of that tool, in that order: for `mute_call`, `hold_call` and "
        "`retrieve_call`, ids given · fault on the lookup (PollUserStatus) · fault on the action, after a clean "
        "lookup.",
        "",
    ]
    lines += table(
        ("fault", "answer", "retryable", *(f"`{tool}`" for tool in tools), "slowest s", "next call"),
        (
            (
                name,
                f"`{f['code']}`",
                "yes" if f["retryable"] else "no",
                *_attempts_by_tool(f["targets"], tools, f["code"]),
                max(target["seconds"] for target in f["targets"].values()),
                "OK" if f["next_call_ok"] else "failed",
            )
            for name, f in sorted(data.get("faults", {}).items())
        ),
    )
    transient = data.get("transient", {})
    lines += ["", "Injected once, against a server with a 4 s deadline (a 1 s retry-after and each server's first "
              "request must fit in it without racing); a retry absorbs it (attempts at the faulted request):", ""]
    lines += table(
        ("fault", *(f"`{tool}`" for tool in tools), "slowest s"),
        (
            (name, *_attempts_by_tool(f["targets"], tools, "OK"), max(t["seconds"] for t in f["targets"].values()))
            for name, f in sorted(transient.items())
        ),
    )
    lost = sorted(
        {
            f"{target['answer']}"
            for f in transient.values()
            for target in f["targets"].values()
            if target.get("answer", "OK") != "OK"
        }
    )
    if lost:
        lines += [
            "",
            f"Not absorbed (→ {', '.join(f'`{code}`' for code in lost)}): RetrieveCall is the one action CCC "
            "refuses to repeat. When CCC applied it but the answer was lost, the server's retry is refused, so "
            "the tool reports a failure although the party is off hold (the test checks that it is).",
        ]
    return lines


def load_tables(data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if concurrency := data.get("concurrency"):
        lines += [
            "## Concurrency",
            "",
            *table(
                ("calls", "at once", "answers", "upstream outcomes (all attempts)", "p50 ms", "p99 ms", "max ms"),
                [
                    (
                        concurrency["calls"],
                        concurrency["concurrent"],
                        counts(concurrency["outcomes"]),
                        counts(concurrency["faults_injected"]),
                        concurrency["p50_ms"],
                        concurrency["p99_ms"],
                        concurrency["max_ms"],
                    )
                ],
            ),
            "",
            *table(
                ("tool", "answers"),
                ((f"`{tool}`", counts(answers)) for tool, answers in concurrency.get("tools", {}).items()),
            ),
            "",
            f"Requests that reached the simulator, by action: {counts(concurrency.get('upstream_requests', {}))}.",
            "",
        ]
    if soak := data.get("soak"):
        lines += [
            "## Soak",
            "",
            *table(
                (
                    "calls",
                    "callers",
                    "seconds",
                    "calls/s",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "RSS idle",
                    "RSS after warm-up",
                    "RSS end",
                    "growth",
                    "audit lines",
                ),
                [
                    (
                        f"{soak['calls']:,}",
                        soak["concurrency"],
                        soak["seconds"],
                        soak["calls_per_second"],
                        soak["p50_ms"],
                        soak["p99_ms"],
                        soak["max_ms"],
                        f"{soak['rss_idle_mib']} MiB",
                        f"{soak['rss_after_warm_up_mib']} MiB",
                        f"{soak['rss_end_mib']} MiB",
                        f"{soak['rss_growth_mib']} MiB",
                        f"{soak['audit_lines']:,}",
                    )
                ],
            ),
            "",
            f"Growth is measured after {soak['warm_up_calls']:,} warm-up calls; the suite fails it above 16 MiB.",
            "",
            *table(("tool", "answers"), ((f"`{tool}`", counts(a)) for tool, a in soak.get("tools", {}).items())),
            "",
        ]
    return lines


def secret_tables(data: dict[str, Any]) -> list[str]:
    secrets = data.get("secrets", {})
    tools: dict[str, dict[str, Any]] = secrets.get("tools", {})
    process: dict[str, dict[str, Any]] = secrets.get("process", {})
    if not tools and not process:
        return []
    signings = list(dict.fromkeys(signing for checked in tools.values() for signing in checked))
    described = {"access-key": "a long-term AccessKey", "sts": "an STS credential (secret and security token)"}

    def cell(checked: dict[str, Any] | None) -> str:
        if not checked:
            return "not run"
        return f"{', '.join(f'`{a}`' for a in checked['answers'])}; {checked['audit_lines']} audit lines"

    lines = [
        "## Secrets",
        "",
        "Each tool over HTTP, signing with each credential: a call retried once after a 503 (a second "
        "signature), one CCC refuses, one with an argument the tool does not take. Its results, its audit lines "
        "and every log record at DEBUG were checked for every canary.",
        "",
        *table(
            ("tool", *(f"signing with {described.get(signing, signing)}" for signing in signings)),
            ((f"`{tool}`", *(cell(checked.get(s)) for s in signings)) for tool, checked in tools.items()),
        ),
        "",
    ]
    if process:
        lines += [
            "The same calls, every tool, to a `ccc-mcp serve --transport http` process logging at DEBUG, plus "
            "a call with a wrong bearer token; then its whole log and audit file:",
            "",
            *table(
                ("signing with", "calls", "log lines", "log characters", "audit lines"),
                (
                    (described.get(s, s), p["calls"], p["log_lines"], f"{p['log_characters']:,}", p["audit_lines"])
                    for s, p in process.items()
                ),
            ),
            "",
        ]
    return lines


def render(data: dict[str, Any]) -> str:
    run = data.get("run", {})
    outcomes: dict[str, str] = data.get("outcomes", {})
    passed = sum(1 for outcome in outcomes.values() if outcome == "passed")
    lines = [
        "# Reliability and security: what was tried, what held",
        "",
        "<!-- Written by scripts/reliability_report.py from docs/reliability-last-run.json; do not edit. -->",
        "",
        f"Last run: {run.get('finished', '?')} on commit `{run.get('commit', '?')}`, {run.get('machine', '?')}, "
        f"Python {run.get('python', '?')}; {passed} of {len(outcomes)} tests passed in {run.get('seconds', '?')} s.",
        "",
        "Everything runs over loopback against the embedded simulator (or an in-process fake CCC for bad input): "
        "the real server, the real HTTP client, nothing patched. Reproduce with:",
        "",
        "```bash",
        "pytest -m reliability",
        "python scripts/reliability_report.py",
        "```",
        "",
        *summary(data),
        "",
        *fault_tables(data),
        "",
        *load_tables(data),
        *secret_tables(data),
        *bad_input_tables(data),
        "## Every test of the last run",
        "",
        *table(("test", "outcome"), sorted(outcomes.items())),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=RUN_OUTPUT, help="the suite's JSON (default: %(default)s)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail if docs/reliability.md is not the rendering of docs/reliability-last-run.json, or if those "
        "figures were measured on other code than this tree's; change nothing",
    )
    options = parser.parse_args(argv)
    if options.check:
        published = json.loads(DOC_DATA.read_text())
        if DOC.read_text() != render(published):
            print(f"{DOC} is not the rendering of {DOC_DATA}: run scripts/reliability_report.py", file=sys.stderr)
            return 1
        if published.get("run", {}).get("source_digest") != source_digest():
            print(
                f"{DOC_DATA} was measured on other code than this tree's (the package or the suite changed since): "
                "run `pytest -m reliability` and then scripts/reliability_report.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if not options.input.exists():
        print(f"{options.input} not found: run `pytest -m reliability` first", file=sys.stderr)
        return 1
    data = json.loads(options.input.read_text())
    missing = [key for key in ("bad_input", "faults", "transient", "concurrency", "soak") if key not in data]
    if missing:
        print(f"warning: the last run has no {', '.join(missing)} figures (a partial run?)", file=sys.stderr)
    if options.input.resolve() != DOC_DATA.resolve():
        shutil.copyfile(options.input, DOC_DATA)
    DOC.write_text(render(data))
    print(f"wrote {DOC.relative_to(ROOT)} and {DOC_DATA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
