"""The error catalogue: every code we may report has a status, a retry verdict and a usable hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccc_mcp.api.errors import CATALOGUE, describe

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ccc-unmutecall.md"
PAGE_CODES = ["Parameter.Blank", "InvalidOperation.ChannelState", "InvalidOperation.UserState", "NotExists.ChannelId",
              "NotExists.InstanceId", "NotExists.JobId", "InternalService.CTI"]
GATEWAY_CODES = ["InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "IncompleteSignature", "SignatureNonceUsed",
                 "InvalidTimeStamp.Expired", "Forbidden.RAM", "Forbidden.AccessKeyDisabled", "MissingSecurityToken",
                 "InvalidSecurityToken.Expired", "Throttling", "Throttling.User", "Throttling.Api",
                 "ServiceUnavailable", "InternalError"]
LOCAL_CODES = ["Parameter.Blank", "Parameter.Invalid", "Forbidden.Instance", "Credentials.Missing", "Network.Timeout",
               "Network.Error", "Response.Malformed"]


@pytest.mark.parametrize("code", PAGE_CODES + GATEWAY_CODES + LOCAL_CODES)
def test_every_known_code_is_catalogued_with_a_hint(code: str) -> None:
    spec = CATALOGUE[code]
    assert 20 < len(spec.hint) < 300
    assert spec.hint.count(".") <= 3, "one or two sentences"


def test_page_codes_have_the_page_statuses() -> None:
    statuses = {code: CATALOGUE[code].http_status for code in PAGE_CODES}
    assert statuses == {"Parameter.Blank": 400, "InvalidOperation.ChannelState": 400,
                        "InvalidOperation.UserState": 400, "NotExists.ChannelId": 404,
                        "NotExists.InstanceId": 404, "NotExists.JobId": 404, "InternalService.CTI": 500}


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is beside the checkout")
def test_page_codes_match_the_reference_table() -> None:
    table = re.findall(r"^\| (\d{3}) \| ([A-Za-z.]+) \|", REFERENCE.read_text(), flags=re.MULTILINE)
    assert {(code, int(status)) for status, code in table} == {(c, CATALOGUE[c].http_status) for c in PAGE_CODES}


@pytest.mark.parametrize(
    ("code", "retryable"),
    [("Throttling.User", True), ("ServiceUnavailable", True), ("InternalError", True), ("Network.Timeout", True),
     ("Network.Error", True), ("InternalService.CTI", True), ("InvalidOperation.UserState", False),
     ("NotExists.JobId", False), ("SignatureDoesNotMatch", False), ("Parameter.Invalid", False),
     ("Forbidden.Instance", False), ("Credentials.Missing", False)],
)
def test_retryable_only_where_repeating_can_succeed(code: str, retryable: bool) -> None:
    assert CATALOGUE[code].retryable is retryable


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
