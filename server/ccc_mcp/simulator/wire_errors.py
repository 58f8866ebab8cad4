"""The two kinds of error the simulator answers with, and their catalogues.

CCC's own (business) errors travel in the same envelope as a success, with the message template from
the API page filled in and the fill values in `Params`. Errors of the API gateway in front of CCC
(signing, throttling, unknown action) use the gateway's different body. Keeping the catalogues here,
verbatim, is what lets tests assert the exact wire text.
"""

from __future__ import annotations

__all__ = ["CCC_ERRORS", "GATEWAY_ERRORS", "USER_NOT_IN_INSTANCE", "CccError", "GatewayError"]

# code -> (HTTP status, message template). Templates are verbatim from the API page and Meta ("Channel
# stats" included). `NotExists.UserId` is CCC's code for an unknown agent, which the call-control pages do
# not list: the call-control family keeps the simulator's historical wording below, while PollUserStatus
# (and GetUser, by the simulator's choice) use Meta's `USER_NOT_IN_INSTANCE`. `Parameter.Invalid` is the
# simulator's own (no source documents a code for malformed list filters or non-numeric paging values).
CCC_ERRORS: dict[str, tuple[int, str]] = {
    "Parameter.Blank": (400, "The parameter %s may not be null or blank."),
    "Parameter.Null": (400, "The parameter %s may not be null."),
    "Parameter.Minimum": (400, "The parameter %s must be greater than or equal to %s."),
    "Parameter.Maximum": (400, "The parameter %s must be less than or equal to %s."),
    "Parameter.Invalid": (400, "The parameter %s is invalid."),
    "InvalidOperation.ChannelState": (
        400,
        "The operation is not allowed. Channel stats (%s) does not meet expectations (%s).",
    ),
    "InvalidOperation.UserState": (
        400,
        "The operation is not allowed. User state (%s) does not meet expectations (%s).",
    ),
    "NotExists.ChannelId": (404, "The specified channel %s does not exist in call %s."),
    "NotExists.InstanceId": (404, "The specified instance %s does not exist."),
    "NotExists.JobId": (404, "The call %s does not exist."),
    "NotExists.UserId": (404, "The specified user %s does not exist."),
    "InternalService.CTI": (500, "An internal CTI service error occurred. %s"),
    "InternalService.Common": (500, "An internal service error occurred. %s"),
}

# Meta's template of `NotExists.UserId` for PollUserStatus: [user, instance].
USER_NOT_IN_INSTANCE = "The user %s does not exist in instance %s."

# code -> (default HTTP status, message) as Alibaba Cloud's gateway words them.
GATEWAY_ERRORS: dict[str, tuple[int, str]] = {
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "Forbidden.AccessKeyDisabled": (403, "The specified AccessKey is disabled."),
    "SignatureDoesNotMatch": (400, "Specified signature does not match our calculation."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "MissingSecurityToken": (400, "SecurityToken is mandatory for this action."),
    "InvalidSecurityToken.Expired": (400, "Specified SecurityToken is expired."),
    "InvalidSecurityToken.MismatchWithAccessKey": (
        400,
        "Specified SecurityToken mismatch with the AccessKey.",
    ),
    "InvalidAction.NotFound": (404, "Specified api is not found, please check your url and method."),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "Throttling": (400, "Request was denied due to request throttling."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
}


def fill(template: str, params: tuple[str, ...]) -> str:
    """Fill `%s` placeholders in order, as CCC does; a missing value leaves its `%s` visible."""
    parts = template.split("%s")
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        out.append(params[index] if index < len(params) else "%s")
        out.append(part)
    return "".join(out)


class CccError(Exception):
    """A CCC business error: answered in the CCC envelope with HttpStatusCode equal to the status."""

    def __init__(
        self,
        code: str,
        *params: str,
        status: int | None = None,
        message: str | None = None,
        template: str | None = None,
    ):
        """`template` replaces the catalogue's wording where one code is worded differently per action."""
        known_status, known_template = CCC_ERRORS.get(code, (500, "%s"))
        template = template if template is not None else known_template
        self.code = code
        self.params = tuple(params)
        self.status = status if status is not None else known_status
        self.message = message if message is not None else fill(template, self.params)
        super().__init__(f"{code}: {self.message}")


class GatewayError(Exception):
    """An error of the API gateway: answered in the gateway body (RequestId/HostId/Code/Message/Recommend)."""

    def __init__(self, code: str, *, status: int | None = None, message: str | None = None):
        known_status, known_message = GATEWAY_ERRORS.get(code, (500, code))
        self.code = code
        self.status = status if status is not None else known_status
        self.message = message if message is not None else known_message
        super().__init__(f"{code}: {self.message}")
