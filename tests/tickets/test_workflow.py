"""The workflow table, exhaustively: every (state, action, role, own-unit) combination."""

import itertools

import pytest

from app.tickets import workflow
from app.tickets.workflow import Action, Status
from app.users.roles import Role

# The design's table, written out independently of the code.
EXPECTED = {
    (None, Action.report): (Status.reported, {Role.inspector, Role.dispatcher}, False),
    (Status.reported, Action.dispatch): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.rectify): (Status.rectified, {Role.unit_staff}, True),
    (Status.rectified, Action.verify_pass): (Status.closed, {Role.inspector, Role.dispatcher}, False),
    (Status.rectified, Action.verify_fail): (Status.dispatched, {Role.inspector, Role.dispatcher}, False),
    (Status.reported, Action.cancel): (Status.cancelled, {Role.dispatcher}, False),
    # Deadline exceptions (the contract's table): a unit asks, the office decides.
    (Status.dispatched, Action.request_extension): (Status.dispatched, {Role.unit_staff}, True),
    (Status.dispatched, Action.request_return): (Status.dispatched, {Role.unit_staff}, True),
    (Status.dispatched, Action.request_suspension): (Status.dispatched, {Role.unit_staff}, True),
    (Status.dispatched, Action.approve_extension): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.reject_extension): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.approve_return): (Status.reported, {Role.dispatcher}, False),
    (Status.dispatched, Action.reassign): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.reject_return): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.approve_suspension): (Status.suspended, {Role.dispatcher, Role.leader}, False),
    (Status.dispatched, Action.reject_suspension): (Status.dispatched, {Role.dispatcher, Role.leader}, False),
    (Status.suspended, Action.resume): (Status.dispatched, {Role.dispatcher, Role.leader}, False),
    (Status.dispatched, Action.void): (Status.voided, {Role.dispatcher}, False),
    (Status.rectified, Action.void): (Status.voided, {Role.dispatcher}, False),
    (Status.suspended, Action.void): (Status.voided, {Role.dispatcher}, False),
    (Status.dispatched, Action.urge): (Status.dispatched, {Role.dispatcher}, False),
    (Status.dispatched, Action.supervise): (Status.dispatched, {Role.leader}, False),
    (Status.suspended, Action.supervise): (Status.suspended, {Role.leader}, False),
}


@pytest.mark.parametrize("status,action,role,own_unit", list(itertools.product(
    [None, *Status], Action, Role, [False, True])))
def test_every_combination(status, action, role, own_unit):
    rule = EXPECTED.get((status, action))
    role_may = any(a == action and role in r[1] and (own_unit or not r[2]) for (_, a), r in EXPECTED.items())
    if not role_may:
        with pytest.raises(workflow.NotAllowed):
            workflow.transition(status, action, role, own_unit=own_unit)
    elif rule is None:
        with pytest.raises(workflow.WrongState):
            workflow.transition(status, action, role, own_unit=own_unit)
    else:
        assert workflow.transition(status, action, role, own_unit=own_unit) == rule[0]


def test_allowed_actions_match_table():
    assert workflow.allowed_actions(Status.reported, Role.dispatcher, own_unit=False) == [
        Action.dispatch, Action.cancel]
    assert workflow.allowed_actions(Status.dispatched, Role.unit_staff, own_unit=True) == [
        Action.rectify, Action.request_extension, Action.request_return, Action.request_suspension]
    assert workflow.allowed_actions(Status.dispatched, Role.unit_staff, own_unit=False) == []
    assert workflow.allowed_actions(Status.rectified, Role.inspector, own_unit=False) == [
        Action.verify_pass, Action.verify_fail]
    assert workflow.allowed_actions(Status.suspended, Role.leader, own_unit=False) == [
        Action.resume, Action.supervise]
    for status in (Status.closed, Status.cancelled, Status.voided):
        for role in Role:
            assert workflow.allowed_actions(status, role, own_unit=True) == []
    # A leader reads, and decides only on suspensions, resumes and 督办.
    leader_may = {a for s in Status for a in workflow.allowed_actions(s, Role.leader, own_unit=False)}
    assert leader_may == {Action.approve_suspension, Action.reject_suspension, Action.resume, Action.supervise}


def test_a_unit_no_longer_returns_a_ticket_by_itself():
    """回退 is a request now: no role may take the old direct return."""
    for role in Role:
        assert not workflow.may_act(Action.return_, role, own_unit=True)
