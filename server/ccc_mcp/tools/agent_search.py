"""Finding agents: one page of ListRealtimeAgentStates, and the user ids a query names when CCC's own search
finds nothing. Shared by list_agents (a page for the model) and list_calls (every page of a floor).

CCC's `Query` matches display names, employee numbers and extensions, but not the user ids every other tool
takes: when it finds nobody, the query is tried as a user id (name@instance) or, through ListUsers, as part
of a login or display name, and the live states of the agents it names are read (at most 20: CCC's limit
for AgentIdList).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ErrorInfo, RealtimeAgentStatesPage, UsersPage
from ccc_mcp.tools.base import ToolCall

__all__ = [
    "AGENT_ID_LIST_MAX",
    "MAX_PAGE",
    "SEARCHED",
    "AgentFilter",
    "Failed",
    "Listed",
    "agents_page",
    "ids_by_login",
]

MAX_PAGE = 100  # CCC accepts PageNumber and PageSize 1-100
AGENT_ID_LIST_MAX = 20  # CCC's limit on AgentIdList
SEARCHED = "display name, employee number, extension, login name or user id"


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """Which agents a listing keeps: in these states (the list's words: Talking, ACW...) and skill group."""

    states: Sequence[str] = ()
    skill_group_id: str | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    """A page CCC answered."""

    request_id: str | None
    data: RealtimeAgentStatesPage

    @property
    def total(self) -> int:
        return self.data.total_count if self.data.total_count is not None else len(self.data.rows)


@dataclass(frozen=True, slots=True)
class Failed:
    """CCC's refusal (or an answer that could not be read), with the id of the request."""

    request_id: str | None
    error: ErrorInfo


async def agents_page(
    call: ToolCall[Any],
    page: int,
    size: int,
    where: AgentFilter,
    *,
    query: str | None = None,
    ids: Sequence[str] = (),
) -> Listed | Failed:
    """One ListRealtimeAgentStates page: agents matching `query` (or the user ids `ids`) and `where`; the
    filters on lists travel in the signed form body."""
    params = {"PageNumber": str(page), "PageSize": str(size), "Query": query, "SkillGroupId": where.skill_group_id}
    form = {
        "StateList": json.dumps(list(where.states)) if where.states else None,
        "AgentIdList": json.dumps(list(ids)) if ids else None,
    }
    outcome = await call.ccc("ListRealtimeAgentStates", params, form=form)
    if outcome.error is not None:
        return Failed(outcome.request_id, outcome.error)
    try:
        return Listed(outcome.request_id, RealtimeAgentStatesPage.model_validate(outcome.data or {}))
    except ValidationError:
        return Failed(
            outcome.request_id, describe("Response.Malformed", "CCC answered OK but its agent list could not be read.")
        )


async def ids_by_login(call: ToolCall[Any], query: str) -> list[str] | Failed:
    """The user ids `query` names: itself when it is one (name@instance), else those whose login or display
    name contains it (ListUsers), at most the number CCC's AgentIdList takes."""
    if "@" in query:
        return [query]
    params = {"PageNumber": "1", "PageSize": str(AGENT_ID_LIST_MAX), "SearchPattern": query}
    outcome = await call.ccc("ListUsers", params)
    if outcome.error is not None:
        return Failed(outcome.request_id, outcome.error)
    try:
        users = UsersPage.model_validate(outcome.data or {})
    except ValidationError:
        return Failed(
            outcome.request_id, describe("Response.Malformed", "CCC answered OK but its user list could not be read.")
        )
    return [user.user_id for user in users.rows if user.user_id]
