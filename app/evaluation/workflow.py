"""A round's states (pure: no database or web imports): draft → active → closed → published.

draft: being prepared (sites, inspectors); active: inspectors evaluate; closed: evaluation over, results
checked; published: the results are out and each unit sees its own sites (四不两直 until then).
"""

from app.core.errors import Conflict, Forbidden
from app.evaluation.schemas import RoundState
from app.users.roles import Role

OFFICE = frozenset({Role.dispatcher, Role.leader, Role.admin})

# (from, to) → roles that may move a round so.
TRANSITIONS: dict[tuple[RoundState, RoundState], frozenset[Role]] = {
    (RoundState.draft, RoundState.active): OFFICE,
    (RoundState.active, RoundState.closed): OFFICE,
    (RoundState.closed, RoundState.published): OFFICE,
}
# States in which the sites' inspectors may still change.
ASSIGNABLE = frozenset({RoundState.draft, RoundState.active})
# States a 回头看 may be made from: the earlier round's evaluation is over.
FOLLOWUP_FROM = frozenset({RoundState.closed, RoundState.published})


def allowed(state: RoundState, role: Role) -> list[RoundState]:
    """The states this role may move a round in `state` to."""
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == state and role in roles]


def check(state: RoundState, to: RoundState, role: Role) -> None:
    """Nothing when the move is allowed; 403 for a role that may not, 409 wrong_state for a move not in the table."""
    roles = TRANSITIONS.get((state, to))
    if roles is None:
        raise Conflict(f"任务状态为 {state.value}，不能改为 {to.value} "
                       f"Round is {state.value}, cannot become {to.value}", code="wrong_state",
                       details={"state": state.value})
    if role not in roles:
        raise Forbidden("无权执行此操作 Your role may not do this")
