import uuid
from datetime import datetime, timedelta

from sqlalchemy import Column, Float, Index, String, UniqueConstraint, and_, or_, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import Field, SQLModel

from app.core.config import get_settings
from app.core.types import UTCDateTime, utcnow
from app.tickets.workflow import Status


class epoch_seconds(FunctionElement):
    """Seconds since 1970 of a UTCDateTime column, in SQL (SQLite stores UTC text; PostgreSQL timestamptz)."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds)
def _epoch_default(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


class Ticket(SQLModel, table=True):
    """One problem at one place (案件). The id is the phone's client UUID."""

    __tablename__ = "tickets"
    model_config = {"ignored_types": (hybrid_method,)}  # pydantic: is_overdue_at is no field
    __table_args__ = (
        Index("ix_tickets_status_reported_at", "status", "reported_at"),
        Index("ix_tickets_unit_status_deadline", "unit_id", "status", "deadline_at"),
        # Covers the duplicate probe (same category, open, nearby) without touching the table.
        Index("ix_tickets_category_status_lat", "category_code", "status", "lat", "lng"),
        Index("ix_tickets_lat_lng", "lat", "lng"),
        # Statistics (app/stats, migration 1aac66fa8aaf). Covering indexes: a period's figures are read from
        # the index alone (no row look-ups), which keeps a month at 1 M tickets fast on SQLite too.
        Index("ix_tickets_first_dispatched_at", "first_dispatched_at", "unit_id", "status", "deadline_at",
              "office_deadline_at", "closed_on_time", "rework_count", "first_rectified_at", "reported_at",
              "closed_at", "category_code", "grid_id", "id"),  # grid and id: the breakdowns (migration b2e6f1a9c3d8)
        # Also the list's order.
        Index("ix_tickets_reported_at_id", "reported_at", "id", "unit_id", "category_code", "grid_id"),
        Index("ix_tickets_status_deadline", "status", "deadline_at", "unit_id", "category_code", "grid_id", "id"),
        Index("ix_tickets_cancelled_at", "cancelled_at"),
        # A period's verifications find their ticket's unit, rectification, category and grid from the index alone
        # (~30,000 look-ups a month at 1 M tickets: 195 → 56 ms for a week on PostgreSQL).
        Index("ix_tickets_id_verify_cover", "id", "unit_id", "rectified_at", "category_code", "grid_id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    case_number: str = Field(max_length=20, unique=True)
    status: Status = Field(sa_column=Column(String(16), nullable=False))
    category_code: str = Field(foreign_key="categories.code")
    description: str = Field(default="", max_length=2000)
    address: str | None = Field(default=None, max_length=300)
    lat: float
    lng: float
    accuracy_m: float | None = None
    captured_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reporter_id: int = Field(foreign_key="users.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    suggested_unit_id: int | None = Field(default=None, foreign_key="units.id")
    # The grid (网格) the place was in when reported (smallest if grids overlap): a ticket stays in the grid it
    # was found in when grids are redrawn later, as a case does in a 数字城管 grid. Statistics group by it. A
    # record of the past, not a reference: no foreign key, so a grid removed later leaves its tickets' history.
    grid_id: int | None = None
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The office's deadline (整改时限 as the office set it): set at dispatch, re-dispatch (改派) and resume,
    # moved by an approved extension (延期), cleared by an approved return; never moved by 返工, whose new
    # deadline is `deadline_at` only. 按期结案, 应结案 and 超期结案/超期未结案 are judged against it.
    office_deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rework_count: int = 0
    return_count: int = 0
    # Deadline exceptions (issue 10): approved extensions, urges (催办), the 督办 flag, suspension and voiding.
    extension_count: int = 0
    suspension_count: int = 0
    urge_count: int = 0
    supervised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a suspended ticket's review date
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The kind of the unit's request waiting for a decision (lists show it without a join); None: none waits.
    pending_request: str | None = Field(default=None, max_length=16)
    duplicate_of: uuid.UUID | None = Field(default=None, foreign_key="tickets.id")
    # Stage timestamps, written by the same transaction as the event that sets them.
    reported_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    first_dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_rectified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rectified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # At close: was the accepted rectification on or before the office's deadline (按期结案)?
    closed_on_time: bool | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    request_hash: str = Field(max_length=64)

    @hybrid_method
    def is_overdue_at(self, now: datetime):
        """超期 at `now`: dispatched, deadline passed, not yet rectified.

        One body for both uses: on a ticket it answers a bool; on the class (`Ticket.is_overdue_at(now)`) a
        SQL clause, since `&` and `<` build SQL from columns (and a column `is not None`, so the SQL form
        leaves a NULL deadline to the comparison).
        """
        return (self.status == Status.dispatched.value) & (self.deadline_at is not None and self.deadline_at < now)

    @hybrid_method
    def is_near_deadline_at(self, now: datetime) -> bool:
        """预超期 at `now`: dispatched, not overdue, and the time left is at most a share of the time given
        (XUNCHA_NEAR_DEADLINE_FRACTION of deadline − dispatched_at), or at most XUNCHA_NEAR_DEADLINE_HOURS once half
        the time given is gone: a ticket given 4 hours was 预超期 from the moment it was dispatched, and its unit
        told it was nearly late before it could start. Without a dispatch time, the hours alone."""
        if self.status != Status.dispatched.value or self.deadline_at is None or self.deadline_at < now:
            return False
        settings = get_settings()
        left, hours = self.deadline_at - now, timedelta(hours=settings.near_deadline_hours)
        if self.dispatched_at is None:
            return left <= hours
        given = self.deadline_at - self.dispatched_at
        return left <= max(given * settings.near_deadline_fraction, min(hours, given / 2))

    @is_near_deadline_at.expression
    def is_near_deadline_at(cls, now: datetime):
        settings = get_settings()
        f = settings.near_deadline_fraction

        # left ≤ s × given  ⇔  deadline − now ≤ s × (deadline − dispatched)  ⇔  (1 − s)·deadline + s·dispatched ≤ now
        def share(s: float):
            return ((1 - s) * epoch_seconds(cls.deadline_at) + s * epoch_seconds(cls.dispatched_at)) <= now.timestamp()
        within_hours = cls.deadline_at <= now + timedelta(hours=settings.near_deadline_hours)
        # The IS NOT NULL tests keep the clause two-valued (its negation then selects the rest exactly).
        return and_(cls.status == Status.dispatched.value, cls.deadline_at.is_not(None), cls.deadline_at >= now,
                    or_(and_(cls.dispatched_at.is_(None), within_hours),
                        and_(cls.dispatched_at.is_not(None), or_(share(f), and_(within_hours, share(0.5))))))


# A ticket's 超期 and 预超期 for a row of its columns as well as a Ticket (lists read rows: app/tickets/read.py).
def overdue_at(t, now: datetime) -> bool:
    return Ticket.__dict__["is_overdue_at"].func(t, now)


def near_deadline_at(t, now: datetime) -> bool:
    return Ticket.__dict__["is_near_deadline_at"].func(t, now)


# The events that are rows of the exceptions ledger (台账): the partial indexes below cover exactly these.
LEDGER_ACTIONS = ("request_extension", "request_return", "request_suspension", "void", "urge", "supervise")
LEDGER_EVENTS = text("action IN ({})".format(", ".join(f"'{a}'" for a in LEDGER_ACTIONS)))


class TicketEvent(SQLModel, table=True):
    """One row of a ticket's timeline (流转记录)."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_at", "ticket_id", "at"),
        # Exceptions and verifications per period (app/stats); ticket_id makes it covering for the verifications.
        Index("ix_ticket_events_action_at", "action", "at", "ticket_id"),
        # The exceptions ledger (app/exceptions), newest first: all of it, and one unit's.
        Index("ix_ticket_events_ledger_at", "at", "id", sqlite_where=LEDGER_EVENTS, postgresql_where=LEDGER_EVENTS),
        Index("ix_ticket_events_ledger_unit_at", "unit_id", "at", "id", sqlite_where=LEDGER_EVENTS,
              postgresql_where=LEDGER_EVENTS),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id")
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_id: int = Field(foreign_key="users.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    note: str | None = Field(default=None, max_length=2000)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The client's UUID for this action: a replay is not applied again and answers the ticket now (idempotency).
    action_id: uuid.UUID | None = Field(default=None, unique=True)
    request_hash: str | None = Field(default=None, max_length=64)


class TicketRequest(SQLModel, table=True):
    """A unit's request on a ticket (延期 / 回退 / 挂账) and its decision: one row of the exceptions ledger (台账).

    The id is the client's action_id of the request. At most one request per ticket waits at a time (the
    partial unique index), so two phones of one unit cannot both ask.
    """

    __tablename__ = "ticket_requests"
    __table_args__ = (
        Index("uq_ticket_requests_one_pending", "ticket_id", unique=True,
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
        Index("ix_ticket_requests_state_requested_at", "state", "requested_at"),
        Index("ix_ticket_requests_unit_requested_at", "unit_id", "requested_at"),
    )

    id: uuid.UUID = Field(primary_key=True)
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    kind: str = Field(max_length=16)  # extension | return | suspension
    state: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    unit_id: int = Field(foreign_key="units.id")  # the unit that asked
    reason: str = Field(max_length=2000)
    # extension: the deadline asked for; suspension: the review date proposed (optional).
    requested_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_before: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the ticket's, when asked
    requested_by: int = Field(foreign_key="users.id")
    requested_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    request_event_id: int = Field(foreign_key="ticket_events.id")
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=2000)
    # extension: the deadline granted; suspension: the review date; reassign: the new unit's deadline.
    decided_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reassigned_unit_id: int | None = Field(default=None, foreign_key="units.id")
    decision_event_id: int | None = Field(default=None, foreign_key="ticket_events.id")


class TicketPhoto(SQLModel, table=True):
    """A photo used by a ticket at one stage; a photo belongs to one ticket only."""

    __tablename__ = "ticket_photos"
    __table_args__ = (UniqueConstraint("photo_id", name="uq_ticket_photos_photo"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    photo_id: uuid.UUID = Field(foreign_key="photos.id")
    event_id: int = Field(foreign_key="ticket_events.id")
    stage: str = Field(max_length=16)  # report | rectify | verify | request
    position: int = 0


class TicketAssignment(SQLModel, table=True):
    """Every unit a ticket was ever dispatched to: the unit-visibility rule reads this."""

    __tablename__ = "ticket_assignments"

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", primary_key=True)
    unit_id: int = Field(foreign_key="units.id", primary_key=True, index=True)
    first_dispatched_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class CaseCounter(SQLModel, table=True):
    """Last case number handed out per year; incremented under a row lock, so numbers never repeat."""

    __tablename__ = "case_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class TicketVerification(SQLModel, table=True):
    """One row per verification (核查: a verify_pass or verify_fail event), pre-joined for the statistics: the
    keys the figures group and filter by, and the rectification it judged, so a period's verifications are one
    index range of one narrow table instead of a probe into tickets (and, for a failure, into the timeline) per
    verification (app/stats/passes.py). Written in the same transaction as the verification's event
    (app/tickets/verifications.py); a ticket's later change of unit (return, reassignment, re-dispatch after a
    返工) is written here too, since the figures count a verification for the ticket's current unit. The
    category and grid of a ticket never change."""

    __tablename__ = "ticket_verifications"
    __table_args__ = (
        # A period's verifications from the index alone, in time order (covering: every column the passes read).
        Index("ix_ticket_verifications_at", "at", "unit_id", "category_code", "grid_id", "rectified_at",
              "ticket_id"),
    )

    event_id: int = Field(primary_key=True, foreign_key="ticket_events.id")
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    passed: bool
    # The rectification the verification judged: the ticket's latest 整改 at or before it.
    rectified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unit_id: int | None = Field(default=None, foreign_key="units.id")  # the ticket's current unit
    category_code: str = Field(max_length=16)
    grid_id: int | None = None


class BulkAction(SQLModel, table=True):
    """One bulk action (批量派遣 / 批量取消) as its client sent it: its batch UUID is spent once. Each ticket's share
    has its own event (with an action id derived from the batch's), but only this row knows the whole batch, so
    a resend with other tickets or other fields answers 409 instead of moving the tickets it did not name."""

    __tablename__ = "bulk_actions"

    action_id: uuid.UUID = Field(primary_key=True)
    action: str = Field(max_length=32)
    actor_id: int = Field(foreign_key="users.id")
    request_hash: str = Field(max_length=64)
    ticket_count: int
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
