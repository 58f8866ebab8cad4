"""The error catalogue: every code we may report, with its status, whether to retry, and a hint.

A hint is written for a model: one or two sentences on what the code means here and what to do next.
Hints may use `{0}`, `{1}`... for the values CCC put in `Params` (e.g. the agent's actual state).
Codes we have never seen still map sensibly, by HTTP status (`describe`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ccc_mcp.api.models import ErrorInfo

__all__ = ["API_PAGE", "CATALOGUE", "GATEWAY", "LOCAL", "ErrorSpec", "describe", "spec_for"]


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    http_status: int | None
    retryable: bool
    hint: str


API_PAGE: dict[str, ErrorSpec] = {
    "Parameter.Blank": ErrorSpec(
        400, False, "A required parameter was empty. Supply a non-blank value for the parameter named in "
        "the message and call again."
    ),
    "InvalidOperation.ChannelState": ErrorSpec(
        400, False, "The channel is in state {0}, but the action needs {1}. The call may have ended or not "
        "been answered yet; check the call before trying again."
    ),
    "InvalidOperation.UserState": ErrorSpec(
        400, False, "The agent is in state {0}, but the action needs {1}: the agent is not on a call, so "
        "there is nothing to act on. Check the agent's state, or wait until they are on a call."
    ),
    "NotExists.ChannelId": ErrorSpec(
        404, False, "That channel is not part of the call. Omit channel_id to let the tool choose the channel "
        "(its description says which), or use a channel id from the call's channel_contexts."
    ),
    "NotExists.InstanceId": ErrorSpec(
        404, False, "No CCC instance has that id where this server looks. Check instance_id; do not retry "
        "with the same value, and tell the user if the id is right."
    ),
    "NotExists.UserId": ErrorSpec(
        404, False, "No agent has that user id in this instance. Check user_id (agents look like "
        "name@instance); do not retry with the same value."
    ),
    "NotExists.JobId": ErrorSpec(
        404, False, "No such call: it may have ended, or the job id is wrong. Omit job_id to act on the "
        "agent's current call."
    ),
    "InternalService.CTI": ErrorSpec(
        500, True, "CCC's telephony back end failed. The action is safe to repeat: try once more in a few "
        "seconds. If it fails again, the agent can do it from their own workbench or phone; report the "
        "request id."
    ),
}

GATEWAY: dict[str, ErrorSpec] = {
    "InvalidAccessKeyId.NotFound": ErrorSpec(
        404, False, "The AccessKeyId is unknown. The operator must fix the server's credentials; "
        "retrying will not help."
    ),
    "InvalidAccessKeyId.Inactive": ErrorSpec(
        403, False, "The AccessKey is disabled. The operator must enable it or configure another."
    ),
    "Forbidden.AccessKeyDisabled": ErrorSpec(
        403, False, "The AccessKey is disabled. The operator must enable it or configure another."
    ),
    "SignatureDoesNotMatch": ErrorSpec(
        400, False, "The request signature was rejected: the AccessKeySecret does not match the "
        "AccessKeyId. The operator must fix the server's credentials."
    ),
    "IncompleteSignature": ErrorSpec(
        400, False, "The request's signature was incomplete. This is a server defect; report it with the "
        "request id."
    ),
    "SignatureNonceUsed": ErrorSpec(
        400, True, "The gateway saw this request's nonce before. Retrying signs afresh and can succeed."
    ),
    "InvalidTimeStamp.Expired": ErrorSpec(
        400, False, "The request's timestamp was outside the gateway's 15-minute window: the server's "
        "clock is wrong. The operator must fix the clock."
    ),
    "Forbidden.RAM": ErrorSpec(
        403, False, "The credentials lack RAM permission for this action on this instance. The operator "
        "must grant it; retrying will not help."
    ),
    "NoPermission": ErrorSpec(
        403, False, "The credentials lack permission for this action. The operator must grant it."
    ),
    "MissingSecurityToken": ErrorSpec(
        400, False, "STS credentials were used without their security token. The operator must configure the "
        "token with the credentials (or use a long-term AccessKey); retrying will not help."
    ),
    "InvalidSecurityToken.Expired": ErrorSpec(
        400, False, "The STS security token has expired. The operator must refresh the credentials."
    ),
    "InvalidSecurityToken.Malformed": ErrorSpec(
        400, False, "The STS security token is malformed. The operator must fix the credentials."
    ),
    "InvalidSecurityToken.MismatchWithAccessKey": ErrorSpec(
        400, False, "The STS token does not belong to the AccessKeyId. The operator must fix the "
        "credentials."
    ),
    "Throttling": ErrorSpec(
        429, True, "CCC is throttling requests. Wait a few seconds before repeating the call."
    ),
    "Throttling.User": ErrorSpec(
        429, True, "This account's request rate limit was reached. Wait a few seconds before repeating "
        "the call."
    ),
    "Throttling.Api": ErrorSpec(
        429, True, "This action's request rate limit was reached. Wait a few seconds before repeating "
        "the call."
    ),
    "ServiceUnavailable": ErrorSpec(
        503, True, "CCC is temporarily unavailable. Repeat the call in a few seconds."
    ),
    "InternalError": ErrorSpec(
        500, True, "CCC had an internal error. The action is safe to repeat; retry once after a few "
        "seconds."
    ),
    "InvalidAction.NotFound": ErrorSpec(
        404, False, "The API does not know this action. This is a server defect; report it."
    ),
    "InvalidVersion": ErrorSpec(
        400, False, "The API does not accept this version. This is a server defect; report it."
    ),
}

# Failures that never reached the API (or got no usable answer), named in the API's style.
LOCAL: dict[str, ErrorSpec] = {
    "Parameter.Blank": API_PAGE["Parameter.Blank"],
    "Parameter.Invalid": ErrorSpec(
        400, False, "An argument was not acceptable. Fix the argument named in the message and call "
        "again; nothing was sent to CCC."
    ),
    "Forbidden.Instance": ErrorSpec(
        403, False, "This server is not allowed to act on that instance. Use one of the allowed "
        "instances; nothing was sent to CCC."
    ),
    "Forbidden.Scope": ErrorSpec(
        403, False, "Your sign-in does not allow this tool (the scope it needs is in params); nothing was sent "
        "to CCC. Do not retry: tell the user which permission is missing."
    ),
    "Forbidden.Agent": ErrorSpec(
        403, False, "You may control only your own agent's calls; nothing was sent to CCC. Omit user_id to act "
        "on your own line, or ask a supervisor to act on the other agent's."
    ),
    "Credentials.Missing": ErrorSpec(
        None, False, "The server has no Alibaba Cloud credentials, so nothing was sent to CCC. Tell the user: "
        "the operator must give the server an AccessKey (or another source of Alibaba Cloud's default "
        "credential chain); retrying will not help."
    ),
    "Network.Timeout": ErrorSpec(
        None, True, "CCC did not answer in time, so whether the action was applied is unknown. It is "
        "safe to repeat: every tool of this server is idempotent."
    ),
    "Network.Error": ErrorSpec(
        None, True, "The connection to CCC failed. It is safe to repeat the call in a few seconds; if it "
        "keeps failing, the operator should check the endpoint and network."
    ),
    "Response.Malformed": ErrorSpec(
        None, True, "CCC's answer could not be read (empty, truncated or not JSON). The action is safe "
        "to repeat; retry once."
    ),
    "Resolve.NoCall": ErrorSpec(
        None, False, "The agent has no live call, or not the one named, so nothing was sent to change it. "
        "Check the user_id and job_id (or omit job_id), or wait until the agent is on a call."
    ),
    "Resolve.NoChannel": ErrorSpec(
        None, False, "No channel of the agent's call fits this action, so nothing was changed; the message "
        "lists the call's channels. Pass channel_id only if one of them is really meant."
    ),
    "Resolve.Ambiguous": ErrorSpec(
        None, False, "Several channels fit and the server does not guess, so nothing was changed. Call again "
        "with channel_id set to one of the ids in params (the message says who is on each)."
    ),
    "Server.Internal": ErrorSpec(
        500, False, "The MCP server failed unexpectedly on its own side (a bug, logged for the operator); "
        "whether CCC was reached is unknown. Do not retry the same call; tell the user."
    ),
}

CATALOGUE: dict[str, ErrorSpec] = {**API_PAGE, **GATEWAY, **LOCAL}


def _by_status(status: int | None, code: str) -> ErrorSpec:
    """What an unknown code most likely means, judged by its status and its name."""
    if code.startswith("Throttling") or status == 429:
        return ErrorSpec(status, True, "CCC is limiting requests. Wait a few seconds and repeat the call.")
    if status is not None and status >= 500:
        return ErrorSpec(status, True, "CCC failed on its side. The action is safe to repeat; retry once.")
    if status in (401, 403):
        return ErrorSpec(status, False, "The credentials may not do this. The operator must check "
                         "permissions; retrying will not help.")
    if status == 404:
        return ErrorSpec(status, False, "Something named in the call does not exist. Check the ids in the "
                         "message; do not retry with the same values.")
    return ErrorSpec(status, False, "CCC rejected the call. Read the message, fix the arguments, and do "
                     "not retry unchanged.")


def spec_for(code: str, http_status: int | None = None) -> ErrorSpec:
    return CATALOGUE.get(code) or _by_status(http_status, code)


def _fill(template: str, params: Sequence[str]) -> str:
    """Put CCC's params into a hint; a hint whose params are missing reads 'unknown' rather than failing."""
    values = list(params) + ["unknown"] * (template.count("{") + 1)
    try:
        return template.format(*values)
    except (IndexError, KeyError, ValueError):
        return template


def describe(
    code: str,
    message: str,
    *,
    http_status: int | None = None,
    params: Sequence[object] = (),
) -> ErrorInfo:
    """The structured error a tool returns for `code`; status defaults to the catalogue's."""
    spec = spec_for(code, http_status)
    texts = [str(p) for p in params]
    return ErrorInfo(
        code=code,
        http_status=http_status if http_status is not None else spec.http_status,
        message=message,
        params=texts,
        retryable=spec.retryable,
        hint=_fill(spec.hint, texts),
    )
