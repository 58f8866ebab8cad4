"""The error catalogue: every code CCC documents is catalogued with the documented status, the retry verdict
the reference's retry rules give, and a hint of its own; every code we may report has a usable hint.

What CCC documents comes from the reference's error tables, checked in as tests/data/ccc-error-tables.md (a
verbatim copy, so these tests run in any clone). Where the reference itself is beside the checkout
(../shared/reference, as in CI), the copy is also checked to still equal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from ccc_mcp.api.errors import CATALOGUE, describe

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
COPY = Path(__file__).resolve().parents[1] / "data" / "ccc-error-tables.md"

# The excerpts of the reference the copy holds: each from its first line up to the next heading.
PAGE_TABLE = "Error codes listed on the page:"  # ccc-unmutecall.md §1, the UnmuteCall API page
GATEWAY = "## 4. Errors the gateway adds"  # ccc-unmutecall.md §4, with the retry facts
CALL_CONTROL_TABLE = "### 2.4 Error codes"  # ccc-neighbours.md §2.4, Mute/Unmute/Hold/RetrieveCall
EXCERPTS = {"ccc-unmutecall.md": [PAGE_TABLE, GATEWAY], "ccc-neighbours.md": [CALL_CONTROL_TABLE]}

# Codes the server itself reports (no request made, or no usable answer); the reference does not list them.
LOCAL_CODES = ["Parameter.Invalid", "Forbidden.Instance", "Credentials.Missing", "Network.Timeout", "Network.Error",
               "Response.Malformed"]
# The one documented code we retry against the reference's rules, and why.
RETRIED_DESPITE_THE_RULES = {"SignatureNonceUsed": "every attempt is signed afresh, with a new nonce (reference §2)"}


def excerpt(text: str, first_line: str) -> str:
    """From the line starting with `first_line` up to the next Markdown heading, trailing blank lines dropped."""
    lines = text.splitlines()
    [start] = [n for n, line in enumerate(lines) if line.startswith(first_line)]
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("#")), len(lines))
    return "\n".join(lines[start:end]).rstrip()


@dataclass(frozen=True)
class Documented:
    code: str
    statuses: frozenset[int]  # empty: the reference gives none
    template: str | None = None  # the message template, for codes of the API pages


def table(text: str) -> list[Documented]:
    rows = re.findall(r"^\| (\d{3}) \| `?([A-Za-z.]+)`? \| `?(.*?)`? \|", text, flags=re.MULTILINE)
    return [Documented(code, frozenset({int(status)}), template) for status, code, template in rows]


def gateway_codes(text: str) -> list[Documented]:
    """`Code` (status, or status) pairs of the §4 list; a status in brackets belongs to the code before it."""
    listing = text.split("statuses vary):", 1)[1].split("A response may carry", 1)[0]
    pairs = re.findall(r"`([A-Z][A-Za-z.]*)`(?: \(([^)]*)\))?", listing)
    return [Documented(code, frozenset(int(s) for s in re.findall(r"\d{3}", statuses))) for code, statuses in pairs]


@cache
def copy_text() -> str:
    return COPY.read_text()


def page_codes() -> list[Documented]:
    return table(excerpt(copy_text(), PAGE_TABLE))


def call_control_codes() -> list[Documented]:
    return table(excerpt(copy_text(), CALL_CONTROL_TABLE))


def documented() -> list[Documented]:
    return page_codes() + gateway_codes(excerpt(copy_text(), GATEWAY))


def retryable_by_the_rules(spec: Documented) -> bool:
    """Reference §4, "Safe to retry: throttling, 5xx, connection failures"; nothing else."""
    return spec.code.startswith("Throttling") or any(status >= 500 for status in spec.statuses)


FALLBACK_HINTS = {
    describe(code, "m", http_status=status).hint
    for code in ("Not.Catalogued", "Throttling.NotCatalogued")
    for status in (None, 400, 401, 403, 404, 409, 429, 500, 503)
}


# --- the copy of the reference --------------------------------------------------------------------------------

def test_the_copy_holds_what_the_tests_rely_on() -> None:
    assert len(page_codes()) == 7
    assert len(gateway_codes(excerpt(copy_text(), GATEWAY))) == 14
    assert "Safe to retry: throttling, 5xx, connection failures" in " ".join(excerpt(copy_text(), GATEWAY).split())
    assert call_control_codes() == page_codes(), "§2.4: the same codes for all four call-control actions"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the shared reference is not beside this checkout")
@pytest.mark.parametrize(("name", "first_line"), [(n, f) for n, lines in EXCERPTS.items() for f in lines])
def test_the_copy_still_equals_the_reference(name: str, first_line: str) -> None:
    assert excerpt(copy_text(), first_line) == excerpt((REFERENCE / name).read_text(), first_line), (
        f"tests/data/ccc-error-tables.md and {name} differ: copy the reference's excerpt again, then bring the "
        "catalogue in line"
    )


# --- the catalogue against it -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", documented(), ids=lambda spec: spec.code)
def test_every_documented_code_has_its_own_entry(spec: Documented) -> None:
    """Not the by-status fallback: an unknown code also gets a status and a verdict, but a vaguer hint."""
    assert spec.code in CATALOGUE
    status = min(spec.statuses, default=None)
    assert describe(spec.code, "m", http_status=status).hint not in FALLBACK_HINTS


@pytest.mark.parametrize("spec", documented(), ids=lambda spec: spec.code)
def test_documented_codes_have_a_documented_status(spec: Documented) -> None:
    if spec.statuses:
        assert CATALOGUE[spec.code].http_status in spec.statuses
    else:
        assert CATALOGUE[spec.code].http_status is not None


@pytest.mark.parametrize("spec", documented(), ids=lambda spec: spec.code)
def test_documented_codes_are_retried_only_where_the_rules_say(spec: Documented) -> None:
    expected = retryable_by_the_rules(spec) or spec.code in RETRIED_DESPITE_THE_RULES
    assert CATALOGUE[spec.code].retryable is expected


@pytest.mark.parametrize(("code", "retryable"), [("Network.Timeout", True), ("Network.Error", True),
                                                 ("Response.Malformed", True), ("Credentials.Missing", False),
                                                 ("Parameter.Invalid", False), ("Forbidden.Instance", False)])
def test_local_failures_are_retried_only_where_repeating_can_succeed(code: str, retryable: bool) -> None:
    """Connection failures are retried (reference §4); what the server refused itself is not."""
    assert CATALOGUE[code].retryable is retryable


@pytest.mark.parametrize("spec", page_codes(), ids=lambda spec: spec.code)
def test_hints_use_only_the_params_the_message_has(spec: Documented) -> None:
    """CCC fills the page's `%s` with Params, in order: a hint's `{n}` needs the n-th one."""
    assert spec.template is not None
    used = {int(n) for n in re.findall(r"\{(\d+)\}", CATALOGUE[spec.code].hint)}
    assert used <= set(range(spec.template.count("%s")))


# --- every code we may report ----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_catalogued_code_has_a_usable_hint(code: str) -> None:
    hint = CATALOGUE[code].hint
    assert 20 < len(hint) < 300
    assert hint.count(".") <= 3, "one or two sentences"


@pytest.mark.parametrize("code", LOCAL_CODES)
def test_local_codes_are_catalogued(code: str) -> None:
    assert code in CATALOGUE


def test_hint_is_filled_with_params() -> None:
    error = describe("InvalidOperation.UserState", "msg", params=["BREAK", "TALKING"])
    assert "BREAK" in error.hint
    assert "TALKING" in error.hint
    assert error.http_status == 400


def test_missing_params_do_not_break_the_hint() -> None:
    assert "unknown" in describe("InvalidOperation.UserState", "msg").hint


def test_hint_braces_in_params_are_harmless() -> None:
    error = describe("InvalidOperation.ChannelState", "msg", params=["{0}", "{__class__}"])
    assert "{__class__}" in error.hint


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [(429, "Brand.New", True), (400, "Throttling.Whatever", True), (502, "Brand.New", True),
     (403, "Brand.New", False), (404, "Brand.New", False), (409, "Brand.New", False)],
)
def test_unknown_codes_map_by_status(status: int, code: str, retryable: bool) -> None:
    error = describe(code, "msg", http_status=status)
    assert error.code == code
    assert error.http_status == status
    assert error.retryable is retryable
    assert error.hint
