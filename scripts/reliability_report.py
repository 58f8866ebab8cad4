"""Write docs/reliability.md from the reliability suite's own output.

    pytest -m reliability                 # writes .reliability/last-run.json
    python scripts/reliability_report.py  # renders it into docs/reliability.md (and keeps the JSON beside it)

The page is never edited by hand: it is this script's rendering of the JSON the suite wrote, and a unit test
checks that the checked-in page is exactly the rendering of the checked-in JSON.
"""

from __future__ import annotations

import argparse
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


def summary(data: dict[str, Any]) -> list[str]:
    outcomes: dict[str, str] = data.get("outcomes", {})
    bad = data.get("bad_input", {})
    faults, transient = data.get("faults", {}), data.get("transient", {})
    concurrency, soak, secrets = data.get("concurrency", {}), data.get("soak", {}), data.get("secrets", {})
    rows = [
        (
            "Bad input (hypothesis)",
            f"{bad.get('total', 0):,} generated argument sets over {bad.get('modes', 0)} protocol modes "
            f"({bad.get('answers', {}).get('valid', 0):,} valid)",
            "every answer a tool result conforming to the outputSchema; invalid sets sent no request, valid sets "
            "exactly one",
            held(outcomes, "test_bad_input.py"),
        ),
        (
            "Persistent faults",
            f"{len(faults)} fault kinds, each on every attempt",
            "bounded attempts, inside the deadline, structured error with the right retryable, next call served",
            held(outcomes, "test_faults.py::test_persistent_fault"),
        ),
        (
            "Transient faults",
            f"{len(transient)} faults that happen once",
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
            f"{concurrency.get('calls', 0)} concurrent calls over HTTP with faults mixed in",
            "every call answered with a schema-conforming result",
            held(outcomes, "test_concurrency.py"),
        ),
        (
            "Soak",
            f"{soak.get('calls', 0):,} calls over HTTP to a server process",
            f"RSS growth {soak.get('rss_growth_mib', '?')} MiB; every call audited",
            held(outcomes, "test_soak.py"),
        ),
        (
            "Secrets",
            f"{secrets.get('canaries', 0)} canaries: the AccessKey secret the server signs with in every suite, "
            f"the client token in every HTTP one; {secrets.get('texts', 0):,} texts checked "
            f"({secrets.get('characters', 0):,} characters)",
            "never in a tool result, a log record (with its arguments) at DEBUG, the server process's log or "
            "its audit lines",
            "held" if outcomes and all(o == "passed" for o in outcomes.values()) else "see failures",
        ),
    ]
    return table(("suite", "what was tried", "what must hold", "last run"), rows)


def fault_tables(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Faults",
        "",
        "Injected by the simulator on every attempt, against a server with a 2 s deadline and at most 3 "
        "attempts. The server itself retries throttling, 5xx answers and transport failures; an unreadable "
        "answer with status 200 is not retried (CCC probably applied the action) but is reported retryable, "
        "because unmuting is idempotent and the model may repeat it.",
        "",
    ]
    lines += table(
        ("fault", "answer", "retryable", "attempts", "seconds", "next call"),
        (
            (
                name,
                f"`{f['code']}`",
                "yes" if f["retryable"] else "no",
                f["attempts"],
                f["seconds"],
                "OK" if f["next_call_ok"] else "failed",
            )
            for name, f in sorted(data.get("faults", {}).items())
        ),
    )
    lines += ["", "Injected once; a retry absorbs it:", ""]
    lines += table(
        ("fault", "attempts", "seconds"),
        ((name, f["attempts"], f["seconds"]) for name, f in sorted(data.get("transient", {}).items())),
    )
    return lines


def load_tables(data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if concurrency := data.get("concurrency"):
        outcomes = ", ".join(f"{code} {n}" for code, n in sorted(concurrency["outcomes"].items()))
        injected = ", ".join(f"{code} {n}" for code, n in sorted(concurrency["faults_injected"].items()))
        lines += [
            "## Concurrency",
            "",
            *table(
                ("calls", "at once", "answers", "upstream outcomes (all attempts)", "p50 ms", "p99 ms", "max ms"),
                [
                    (
                        concurrency["calls"],
                        concurrency["concurrent"],
                        outcomes,
                        injected,
                        concurrency["p50_ms"],
                        concurrency["p99_ms"],
                        concurrency["max_ms"],
                    )
                ],
            ),
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
        ]
    if bad := data.get("bad_input"):
        lines += ["## Bad input", "", *table(("answer", "count"), sorted(bad["answers"].items())), ""]
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
        help="fail if docs/reliability.md is not the rendering of docs/reliability-last-run.json; change nothing",
    )
    options = parser.parse_args(argv)
    if options.check:
        fresh = render(json.loads(DOC_DATA.read_text()))
        if DOC.read_text() != fresh:
            print(f"{DOC} is not the rendering of {DOC_DATA}: run scripts/reliability_report.py", file=sys.stderr)
            return 1
        return 0
    if not options.input.exists():
        print(f"{options.input} not found: run `pytest -m reliability` first", file=sys.stderr)
        return 1
    data = json.loads(options.input.read_text())
    missing = [key for key in ("bad_input", "faults", "concurrency", "soak") if key not in data]
    if missing:
        print(f"warning: the last run has no {', '.join(missing)} figures (a partial run?)", file=sys.stderr)
    if options.input.resolve() != DOC_DATA.resolve():
        shutil.copyfile(options.input, DOC_DATA)
    DOC.write_text(render(data))
    print(f"wrote {DOC.relative_to(ROOT)} and {DOC_DATA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
