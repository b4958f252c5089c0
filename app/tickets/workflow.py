"""The ticket state machine: one table of (state, action) → next state and who may act.

Pure: no database or web imports. Every status change in Xuncha goes through `transition`.
"""

from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import Conflict, Forbidden
from app.users.roles import Role


class Status(StrEnum):
    reported = "reported"      # 已上报
    dispatched = "dispatched"  # 已派遣
    rectified = "rectified"    # 已整改, waiting for verification
    closed = "closed"          # 已结案
    cancelled = "cancelled"    # 不予立案 / 重复 (before dispatch)
    suspended = "suspended"    # 挂账 / 缓办: approved as not fixable within any deadline, until its review date
    voided = "voided"          # 作废 after dispatch: should never have been dispatched


class Action(StrEnum):
    report = "report"
    dispatch = "dispatch"
    return_ = "return"
    rectify = "rectify"
    verify_pass = "verify_pass"
    verify_fail = "verify_fail"
    cancel = "cancel"
    # Deadline exceptions (issue 10). A unit asks; the dispatcher (for suspension also a leader) decides.
    request_extension = "request_extension"    # 延期申请
    request_return = "request_return"          # 回退申请
    request_suspension = "request_suspension"  # 挂账 / 缓办申请
    approve_extension = "approve_extension"
    reject_extension = "reject_extension"
    approve_return = "approve_return"          # back to `reported` for re-dispatch (改派)
    reassign = "reassign"                      # return approved and re-dispatched to another unit in one step
    reject_return = "reject_return"
    approve_suspension = "approve_suspension"
    reject_suspension = "reject_suspension"
    resume = "resume"                          # 恢复: a suspended ticket back to its unit with a new deadline
    void = "void"                              # 作废
    urge = "urge"                              # 催办
    supervise = "supervise"                    # 督办


OPEN_STATUSES = frozenset({Status.reported, Status.dispatched, Status.rectified, Status.suspended})


@dataclass(frozen=True)
class Rule:
    to: Status
    roles: frozenset[Role]
    own_unit_only: bool = False  # only staff of the unit the ticket is dispatched to


_UNIT = frozenset({Role.unit_staff})
_DISPATCHER = frozenset({Role.dispatcher})
_LEADER = frozenset({Role.leader})
_OFFICE = frozenset({Role.dispatcher, Role.leader})  # suspensions: the dispatcher or a leader decides

WORKFLOW: dict[tuple[Status | None, Action], Rule] = {
    (None, Action.report): Rule(Status.reported, frozenset({Role.inspector, Role.dispatcher})),
    (Status.reported, Action.dispatch): Rule(Status.dispatched, frozenset({Role.dispatcher})),
    (Status.dispatched, Action.rectify): Rule(Status.rectified, frozenset({Role.unit_staff}), own_unit_only=True),
    (Status.rectified, Action.verify_pass): Rule(Status.closed, frozenset({Role.inspector, Role.dispatcher})),
    (Status.rectified, Action.verify_fail): Rule(Status.dispatched, frozenset({Role.inspector, Role.dispatcher})),
    (Status.reported, Action.cancel): Rule(Status.cancelled, frozenset({Role.dispatcher})),
    # Deadline exceptions. A unit asks (the ticket stays its own, and its clock runs, while the request
    # waits); the office decides. 回退 is a request too: a unit no longer returns a ticket by itself.
    (Status.dispatched, Action.request_extension): Rule(Status.dispatched, _UNIT, own_unit_only=True),
    (Status.dispatched, Action.request_return): Rule(Status.dispatched, _UNIT, own_unit_only=True),
    (Status.dispatched, Action.request_suspension): Rule(Status.dispatched, _UNIT, own_unit_only=True),
    (Status.dispatched, Action.approve_extension): Rule(Status.dispatched, _DISPATCHER),
    (Status.dispatched, Action.reject_extension): Rule(Status.dispatched, _DISPATCHER),
    (Status.dispatched, Action.approve_return): Rule(Status.reported, _DISPATCHER),
    (Status.dispatched, Action.reassign): Rule(Status.dispatched, _DISPATCHER),
    (Status.dispatched, Action.reject_return): Rule(Status.dispatched, _DISPATCHER),
    (Status.dispatched, Action.approve_suspension): Rule(Status.suspended, _OFFICE),
    (Status.dispatched, Action.reject_suspension): Rule(Status.dispatched, _OFFICE),
    (Status.suspended, Action.resume): Rule(Status.dispatched, _OFFICE),
    (Status.dispatched, Action.void): Rule(Status.voided, _DISPATCHER),
    (Status.rectified, Action.void): Rule(Status.voided, _DISPATCHER),
    (Status.suspended, Action.void): Rule(Status.voided, _DISPATCHER),
    (Status.dispatched, Action.urge): Rule(Status.dispatched, _DISPATCHER),
    (Status.dispatched, Action.supervise): Rule(Status.dispatched, _LEADER),
    (Status.suspended, Action.supervise): Rule(Status.suspended, _LEADER),
}


class WrongState(Conflict):
    """409 with the ticket's current state."""

    def __init__(self, status: Status | None, action: Action):
        current = status.value if status else None
        super().__init__(f"案件当前状态为 {current}，不能执行 {action.value} "
                         f"Ticket is {current}; cannot {action.value}",
                         code="invalid_state", details={"current_status": current})
        self.current = status  # not `status`: that is the HTTP status of every DomainError
        self.action = action


class NotAllowed(Forbidden):
    def __init__(self, role: Role, action: Action):
        super().__init__("无权执行此操作 Your role may not do this to this ticket")
        self.role = role
        self.action = action


def may_act(action: Action, role: Role, *, own_unit: bool) -> bool:
    """Whether a role may ever take this action (independent of the ticket's state)."""
    return any(
        a == action and role in rule.roles and (own_unit or not rule.own_unit_only)
        for (_, a), rule in WORKFLOW.items()
    )


def transition(status: Status | None, action: Action, role: Role, *, own_unit: bool = False) -> Status:
    """The next status, or WrongState / NotAllowed. Permission is checked before state."""
    role = Role(role)
    if not may_act(action, role, own_unit=own_unit):
        raise NotAllowed(role, action)
    rule = WORKFLOW.get((status, action))
    if rule is None:
        raise WrongState(status, action)
    return rule.to


def allowed_actions(status: Status, role: Role, *, own_unit: bool) -> list[Action]:
    """The actions this role may take on a ticket in this status now."""
    role = Role(role)
    return [
        action
        for (frm, action), rule in WORKFLOW.items()
        if frm == status and role in rule.roles and (own_unit or not rule.own_unit_only)
    ]
