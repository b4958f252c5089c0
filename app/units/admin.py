"""Administration of the unit tree (责任单位): create, rename, move, change kind, deactivate, reactivate.

Every change writes its audit row in the same transaction. A unit with open tickets (dispatched, rectified
or suspended with it) cannot be deactivated: 409 with their count, so the office first reassigns or closes
them; a deactivated unit keeps its history, gets no new tickets (dispatch answers 422) and is not offered.
"""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.db import conflict_on_duplicate
from app.core.errors import Conflict, Invalid, NotFound
from app.tickets.models import Ticket
from app.tickets.workflow import Status
from app.units.models import Grid, Unit
from app.units.schemas import UnitAdmin, UnitCreate, UnitPatch
from app.users.models import User

# The statuses in which a ticket is in a unit's hands.
HELD = (Status.dispatched.value, Status.rectified.value, Status.suspended.value)


def snapshot(unit: Unit) -> dict:
    return {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "is_active": unit.is_active}


def get(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("责任单位不存在 Unit not found")
    return unit


def _counts(session: Session, column, *where) -> dict[int, int]:
    return dict(session.execute(select(column, func.count()).where(*where).group_by(column)).all())


def listing(session: Session) -> list[UnitAdmin]:
    """Every unit, flat with parent_id (a tree in the order of a depth-first walk), with its counts."""
    units = list(session.exec(select(Unit).order_by(Unit.name)).all())
    users = _counts(session, col(User.unit_id), col(User.is_active).is_(True), col(User.unit_id).is_not(None))
    grids = _counts(session, col(Grid.unit_id), col(Grid.is_active).is_(True))
    open_ = _counts(session, col(Ticket.unit_id), col(Ticket.status).in_(HELD))
    children: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[UnitAdmin] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            out.append(UnitAdmin(id=u.id, name=u.name, kind=u.kind, parent_id=u.parent_id, is_active=u.is_active,
                                 depth=depth, active_users=users.get(u.id, 0), active_grids=grids.get(u.id, 0),
                                 open_tickets=open_.get(u.id, 0)))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


_DUPLICATE = ("已有同名单位 A unit of that name exists", "duplicate_name")


def _name_free(session: Session, name: str, but: int | None = None) -> None:
    other = session.exec(select(Unit).where(Unit.name == name)).first()
    if other is not None and other.id != but:
        raise Conflict(f"已有同名单位 A unit named {name!r} exists", code="duplicate_name")


def _parent(session: Session, parent_id: int | None, unit_id: int | None = None) -> Unit | None:
    """The new parent, checked: it exists, is active, and is not the unit itself or below it (422)."""
    if parent_id is None:
        return None
    parent = session.get(Unit, parent_id)
    if parent is None:
        raise Invalid("上级单位不存在 Unknown parent unit", code="unknown_unit")
    if not parent.is_active:
        raise Invalid("上级单位已停用 The parent unit is deactivated", code="inactive_unit")
    if unit_id is not None:
        seen, at = set(), parent
        while at is not None and at.id not in seen:
            if at.id == unit_id:
                raise Invalid("不能移到自身或下级单位之下 A unit cannot move under itself or its own sub-unit",
                              code="cycle")
            seen.add(at.id)
            at = session.get(Unit, at.parent_id) if at.parent_id else None
    return parent


def create(session: Session, actor: audit.Actor, body: UnitCreate) -> Unit:
    _name_free(session, body.name)
    parent = _parent(session, body.parent_id)
    unit = Unit(name=body.name, kind=body.kind.value, parent_id=parent.id if parent else None)
    with conflict_on_duplicate(session, *_DUPLICATE):
        session.add(unit)
    audit.record(session, actor, "unit.create", "unit", unit.id, None, snapshot(unit))
    return unit


def update(session: Session, actor: audit.Actor, unit_id: int, body: UnitPatch) -> Unit:
    """Rename, change kind, move (parent_id; null: to the top) or (re)activate; only the fields given."""
    unit = get(session, unit_id)
    before = snapshot(unit)
    given = body.model_dump(exclude_unset=True)
    if "name" in given and given["name"] != unit.name:
        _name_free(session, given["name"], unit.id)
        unit.name = given["name"]
    if "kind" in given:
        unit.kind = given["kind"].value
    if "parent_id" in given and given["parent_id"] != unit.parent_id:
        parent = _parent(session, given["parent_id"], unit.id)
        unit.parent_id = parent.id if parent else None
    if "is_active" in given and given["is_active"] != unit.is_active:
        if given["is_active"]:
            if unit.parent_id and not get(session, unit.parent_id).is_active:
                raise Invalid("上级单位已停用 The parent unit is deactivated", code="inactive_unit")
        else:
            _may_deactivate(session, unit)
        unit.is_active = given["is_active"]
    after = snapshot(unit)
    if after == before:
        return unit
    with conflict_on_duplicate(session, *_DUPLICATE):
        session.add(unit)
    verb = ("deactivate" if not unit.is_active else "reactivate") if after["is_active"] != before["is_active"] \
        else "move" if after["parent_id"] != before["parent_id"] else "update"
    audit.record(session, actor, f"unit.{verb}", "unit", unit.id, before, after)
    return unit


def _may_deactivate(session: Session, unit: Unit) -> None:
    held = session.exec(select(func.count()).select_from(Ticket)
                        .where(Ticket.unit_id == unit.id, col(Ticket.status).in_(HELD))).one()
    if held:
        raise Conflict(f"该单位还有 {held} 件未结案件，请先改派或结案后再停用 The unit still holds {held} open "
                       "tickets: reassign or close them first", code="unit_has_open_tickets",
                       details={"open_tickets": held})
    active_children = session.exec(select(func.count()).select_from(Unit)
                                   .where(Unit.parent_id == unit.id, col(Unit.is_active).is_(True))).one()
    if active_children:
        raise Conflict(f"该单位还有 {active_children} 个启用的下级单位 The unit has {active_children} active "
                       "sub-units: deactivate or move them first", code="unit_has_children",
                       details={"active_children": active_children})
    grids = session.exec(select(func.count()).select_from(Grid)
                         .where(Grid.unit_id == unit.id, col(Grid.is_active).is_(True))).one()
    if grids:
        raise Conflict(f"该单位还负责 {grids} 个网格，请先改派网格 The unit owns {grids} active grids: assign them "
                       "to another unit first", code="unit_has_grids", details={"active_grids": grids})
    staff = session.exec(select(func.count()).select_from(User)
                         .where(User.unit_id == unit.id, col(User.is_active).is_(True))).one()
    if staff:
        raise Conflict(f"该单位还有 {staff} 个启用的账号，请先停用 The unit has {staff} active users: deactivate "
                       "them first", code="unit_has_users", details={"active_users": staff})
