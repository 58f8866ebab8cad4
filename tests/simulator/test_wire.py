"""The wire, request by request, with hand-crafted (but correctly signed) httpx requests.

Signing uses `ccc_mcp.api.signing`, our client's own functions, so these tests also prove that our
client's requests and the simulator agree.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import httpx

from ccc_mcp.api.signing import (
    SigningKey,
    canonical_request,
    format_date,
    new_nonce,
    signature,
    signed_request_headers,
)
from ccc_mcp.simulator import Simulator
from ccc_mcp.simulator.responses import json_bytes

from .helpers import call, signed

UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
DEMO = {"InstanceId": "ccc-demo", "UserId": "agent@ccc-demo", "DeviceId": "ccc-mcp-server"}


async def test_success_envelope_shape_and_headers(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call(client, asim, "UnmuteCall", DEMO)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert list(body) == ["Code", "HttpStatusCode", "Message", "RequestId", "Params", "Data"]
    assert (body["Code"], body["HttpStatusCode"], body["Message"], body["Params"]) == ("OK", 200, "", [])
    assert UUID_UPPER.match(body["RequestId"])
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert set(body["Data"]) == {"CallContext", "UserContext"}
    assert body["Data"]["CallContext"]["ChannelContexts"][1]["Index"] == 2


async def test_every_response_has_a_fresh_request_id(asim: Simulator, client: httpx.AsyncClient) -> None:
    ids = {(await call(client, asim, "UnmuteCall", DEMO)).json()["RequestId"] for _ in range(3)}
    ids.add((await call(client, asim, "UnmuteCall", {"InstanceId": "nope"})).json()["RequestId"])
    assert len(ids) == 4


async def test_a_stale_date_is_invalid_timestamp(asim: Simulator, client: httpx.AsyncClient) -> None:
    stale = format_date(datetime.now(UTC) - timedelta(minutes=16))
    response = await call(client, asim, "UnmuteCall", DEMO, date=stale)
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidTimeStamp.Expired")
    future = format_date(datetime.now(UTC) + timedelta(minutes=16))
    assert (await call(client, asim, "UnmuteCall", DEMO, date=future)).json()["Code"] == "InvalidTimeStamp.Expired"
    garbled = (await call(client, asim, "UnmuteCall", DEMO, date="yesterday")).json()["Code"]
    assert garbled == "InvalidTimeStamp.Expired"


async def test_a_date_inside_the_window_is_fine(asim: Simulator, client: httpx.AsyncClient) -> None:
    recent = format_date(datetime.now(UTC) - timedelta(minutes=14))
    assert (await call(client, asim, "UnmuteCall", DEMO, date=recent)).status_code == 200


async def test_a_replayed_nonce_is_refused(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO, nonce=new_nonce())
    first = await client.post(url, headers=headers)
    replay = await client.post(url, headers=headers)
    assert first.status_code == 200
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")
    body = replay.json()
    assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    assert body["Message"] == "Specified signature nonce was used already."


async def test_a_refused_request_does_not_use_up_its_nonce(asim: Simulator, client: httpx.AsyncClient) -> None:
    nonce = new_nonce()
    bad_key = SigningKey(asim.access_key_id, "wrong-secret")
    assert (await call(client, asim, "UnmuteCall", DEMO, key=bad_key, nonce=nonce)).json()["Code"] == (
        "SignatureDoesNotMatch")
    assert (await call(client, asim, "UnmuteCall", DEMO, nonce=nonce)).status_code == 200


async def test_missing_authorization_is_incomplete_signature(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO)
    del headers["authorization"]
    response = await client.post(url, headers=headers)
    assert (response.status_code, response.json()["Code"]) == (400, "IncompleteSignature")


async def test_an_unsigned_acs_header_is_incomplete_signature(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO)
    headers["x-acs-extra"] = "smuggled"
    assert (await client.post(url, headers=headers)).json()["Code"] == "IncompleteSignature"


async def test_tampering_with_the_query_breaks_the_signature(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO)
    response = await client.post(url.replace("agent%40ccc-demo", "idle%40ccc-demo"), headers=headers)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")


async def test_extra_signed_headers_are_verified_from_the_request(asim: Simulator, client: httpx.AsyncClient) -> None:
    extra = {"accept": "application/json", "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.0 TeaDSL/2"}
    url, headers = signed(asim, "UnmuteCall", DEMO, extra_signed=extra)
    assert (await client.post(url, headers=headers)).status_code == 200
    url, headers = signed(asim, "UnmuteCall", DEMO, extra_signed=extra)
    headers["user-agent"] = "something else"
    assert (await client.post(url, headers=headers)).json()["Code"] == "SignatureDoesNotMatch"


async def test_plus_for_space_in_the_url_is_accepted(asim: Simulator, client: httpx.AsyncClient) -> None:
    query = {**DEMO, "DeviceId": "my device*1"}
    url, headers = signed(asim, "UnmuteCall", query)
    sdk_style = url.replace("%20", "+")
    assert (await client.post(sdk_style, headers=headers)).status_code == 200


async def test_an_unknown_action_is_a_gateway_404(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call(client, asim, "UnmuteEverything", DEMO)
    body = response.json()
    assert (response.status_code, body["Code"]) == (404, "InvalidAction.NotFound")
    assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]


async def test_a_wrong_version_is_invalid_version(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call(client, asim, "UnmuteCall", DEMO, version="2017-07-05")
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidVersion")


async def test_get_and_action_in_the_query_also_work(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO)
    # A GET must be signed as GET: re-sign the same headers for the GET method.
    names = [n for n in headers if n != "authorization"]
    canonical = canonical_request("GET", "/", DEMO, {n: headers[n] for n in names})
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={asim.access_key_id},SignedHeaders={';'.join(sorted(names))},"
        f"Signature={signature(asim.access_key_secret, canonical)}"
    )
    assert (await client.get(url, headers=headers)).status_code == 200


async def test_form_body_parameters_are_read(asim: Simulator, client: httpx.AsyncClient) -> None:
    body = b"InstanceId=ccc-demo&UserId=idle%40ccc-demo"
    digest = hashlib.sha256(body).hexdigest()
    headers = signed_request_headers(
        key=SigningKey(asim.access_key_id, asim.access_key_secret), host=asim.endpoint.removeprefix("http://"),
        action="UnmuteCall", version="2020-07-01", query={}, date=format_date(datetime.now(UTC)),
        nonce=new_nonce(), body_sha256=digest,
    )
    headers["content-type"] = "application/x-www-form-urlencoded"
    response = await client.post(f"{asim.endpoint}/", headers=headers, content=body)
    assert response.json()["Params"] == ["READY", "TALKING"]  # the body's UserId was used


async def test_a_body_that_does_not_match_its_hash_is_refused(asim: Simulator, client: httpx.AsyncClient) -> None:
    url, headers = signed(asim, "UnmuteCall", DEMO)
    response = await client.post(url, headers=headers, content=b"InstanceId=other")
    assert response.json()["Code"] == "SignatureDoesNotMatch"


async def test_sts_token_must_match(asim: Simulator, client: httpx.AsyncClient) -> None:
    sts = SigningKey("sim-sts-access-key-id", "sim-sts-access-key-secret", "sim-security-token")
    assert (await call(client, asim, "UnmuteCall", DEMO, key=sts)).status_code == 200
    wrong = SigningKey("sim-sts-access-key-id", "sim-sts-access-key-secret", "another-token")
    assert (await call(client, asim, "UnmuteCall", DEMO, key=wrong)).json()["Code"] == "InvalidSecurityToken.Expired"
    token_for_long_term_key = SigningKey(asim.access_key_id, asim.access_key_secret, "a-token")
    response = await call(client, asim, "UnmuteCall", DEMO, key=token_for_long_term_key)
    assert response.json()["Code"] == "InvalidSecurityToken.MismatchWithAccessKey"


async def test_other_paths_are_not_the_api(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await client.post(f"{asim.endpoint}/v1/unmute")
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidAction.NotFound")


def test_answers_are_the_compact_json_python_would_write() -> None:
    """The encoder is pydantic-core's, for speed at floor size; the bytes are json.dumps' compact UTF-8 form,
    escapes included, so nothing a client parses changed with it."""
    tricky = {"Message": 'a\x00\x1f\n\r\t\b\f"\\/é中\u2028\x7f', "List": [1, True, None, -5, {"x": []}],
              "Big": 17_000_000_000_000}  # fmt: skip
    assert json_bytes(tricky) == json.dumps(tricky, ensure_ascii=False, separators=(",", ":")).encode()
