"""Rules defined once: 超期 (one hybrid method for Python and SQL) and the registry of ticket actions."""

import uuid
from datetime import timedelta

from sqlmodel import col, select

from app.categories.models import Category
from app.core.types import utcnow
from app.tickets import actions, workflow
from app.tickets.models import Ticket
from app.tickets.schemas import ActionIn
from app.users.roles import Role
from tests.conftest import make_user


def test_overdue_is_the_same_rule_in_python_and_in_sql(db):
    reporter = make_user(db, Role.inspector)
    code = db.exec(select(Category.code).where(col(Category.parent_code).is_not(None))).first()
    now = utcnow()
    hour = timedelta(hours=1)
    cases = {  # status, deadline → overdue
        ("dispatched", now - hour): True,
        ("dispatched", now + hour): False,
        ("dispatched", now): False,  # due this instant: not yet passed
        ("rectified", now - hour): False,  # rectified in time or not: no longer overdue
        ("reported", None): False,
        ("closed", now - hour): False,
    }
    tickets = {}
    for i, ((status, deadline), overdue) in enumerate(cases.items()):
        t = Ticket(id=uuid.uuid4(), case_number=f"XC-T-{i:06d}", status=status, category_code=code, lat=30.0,
                   lng=120.0, reporter_id=reporter.id, reported_at=now - 3 * hour, deadline_at=deadline,
                   request_hash="-")
        db.add(t)
        tickets[t.id] = overdue
    db.commit()

    assert {t.id: t.is_overdue_at(now) for t in db.exec(select(Ticket)).all()} == tickets
    in_sql = set(db.exec(select(Ticket.id).where(Ticket.is_overdue_at(now))).all())
    not_in_sql = set(db.exec(select(Ticket.id).where(~Ticket.is_overdue_at(now))).all())
    assert in_sql == {tid for tid, overdue in tickets.items() if overdue}
    assert not_in_sql == {tid for tid, overdue in tickets.items() if not overdue}


def test_near_deadline_is_the_same_rule_in_python_and_in_sql(db):
    """预超期: time left ≤ 25 % of the time given, or ≤ 4 h once half of it is gone (the default settings)."""
    reporter = make_user(db, Role.inspector)
    code = db.exec(select(Category.code).where(col(Category.parent_code).is_not(None))).first()
    now = utcnow()
    hour, day = timedelta(hours=1), timedelta(days=1)
    cases = {  # status, dispatched_at, deadline → near
        ("dispatched", now - day, now + 3 * hour): True,            # ≤ 4 h left
        ("dispatched", now - 5 * hour, now + 4 * hour): True,       # exactly 4 h left, over half of 9 h gone
        ("dispatched", now - hour, now + 4 * hour): False,          # 4 h left of 5 h: just given
        ("dispatched", now, now + 3 * hour): False,                 # given 3 h a moment ago: not nearly late yet
        ("dispatched", now - 2 * hour, now + 1 * hour): True,       # 1 h left of 3 h
        ("dispatched", now - hour, now + 5 * hour): False,          # 5 h of 6 h left
        ("dispatched", now - 30 * day, now + 7 * day): True,        # 7 d of 37 d: 19 %
        ("dispatched", now - 3 * day - 2 * hour, now + 1 * day): True,  # 24.7 % (float seconds in SQL: no exact tie)
        ("dispatched", now - 2 * day, now + 1 * day): False,        # 33 %
        ("dispatched", None, now + 2 * day): False,                 # no dispatch time: the hours rule only
        ("dispatched", now - day, now - hour): False,               # overdue is not "near"
        ("dispatched", now - day, None): False,
        ("suspended", now - day, now + hour): False,
        ("rectified", now - day, now + hour): False,
        ("reported", None, None): False,
    }
    tickets = {}
    for i, ((status, dispatched_at, deadline), near) in enumerate(cases.items()):
        t = Ticket(id=uuid.uuid4(), case_number=f"XC-N-{i:06d}", status=status, category_code=code, lat=30.0,
                   lng=120.0, reporter_id=reporter.id, reported_at=now - 40 * day, dispatched_at=dispatched_at,
                   deadline_at=deadline, request_hash="-")
        db.add(t)
        tickets[t.id] = near
    db.commit()

    assert {t.id: t.is_near_deadline_at(now) for t in db.exec(select(Ticket)).all()} == tickets
    in_sql = set(db.exec(select(Ticket.id).where(Ticket.is_near_deadline_at(now))).all())
    not_in_sql = set(db.exec(select(Ticket.id).where(~Ticket.is_near_deadline_at(now))).all())
    assert in_sql == {tid for tid, near in tickets.items() if near}
    assert not_in_sql == {tid for tid, near in tickets.items() if not near}


def test_every_action_on_a_ticket_has_one_registry_entry():
    on_a_ticket = {action for (status, action) in workflow.WORKFLOW if status is not None}
    assert set(actions.ACTIONS) == on_a_ticket
    for spec in actions.ACTIONS.values():
        assert issubclass(spec.schema, ActionIn)
        assert (spec.photo_stage is not None) == ("photo_ids" in spec.schema.model_fields)
