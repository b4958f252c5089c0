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
    (Status.dispatched, Action.return_): (Status.reported, {Role.unit_staff}, True),
    (Status.dispatched, Action.rectify): (Status.rectified, {Role.unit_staff}, True),
    (Status.rectified, Action.verify_pass): (Status.closed, {Role.inspector, Role.dispatcher}, False),
    (Status.rectified, Action.verify_fail): (Status.dispatched, {Role.inspector, Role.dispatcher}, False),
    (Status.reported, Action.cancel): (Status.cancelled, {Role.dispatcher}, False),
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
        Action.return_, Action.rectify]
    assert workflow.allowed_actions(Status.dispatched, Role.unit_staff, own_unit=False) == []
    assert workflow.allowed_actions(Status.rectified, Role.inspector, own_unit=False) == [
        Action.verify_pass, Action.verify_fail]
    for status in (Status.closed, Status.cancelled):
        for role in Role:
            assert workflow.allowed_actions(status, role, own_unit=True) == []
    for status in Status:
        assert workflow.allowed_actions(status, Role.leader, own_unit=False) == []
