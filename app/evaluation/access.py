"""Who sees what of evaluation (四不两直), one clause per kind of record.

Dispatchers, leaders and admins see everything. Inspectors see the rounds in which they are assigned to a
site, and in them only their assigned sites; of the registry, only sites assigned to them through a round.
Unit staff see their own sites in the registry (the sites their unit is responsible for), and nothing of a
round (its existence, sites, schedule) before it is published; then only its sites that are theirs.
Anything not visible answers 404, as if it did not exist.
"""

from sqlalchemy import ColumnElement, and_, exists, false, func, select, true

from app.evaluation.models import EvalAssignment, EvalRound, EvalRoundSite, EvalSite
from app.evaluation.schemas import RoundState
from app.evaluation.workflow import OFFICE
from app.users.models import User
from app.users.roles import Role


def site_unit():
    """The unit a round site (EvalRoundSite joined with its EvalSite) counts for: the one frozen when its round
    was published, else its site's unit now."""
    return func.coalesce(EvalRoundSite.unit_id, EvalSite.unit_id)


def sees_everything(user: User) -> bool:
    return user.role in OFFICE


def assigned(user_id, round_site_id) -> ColumnElement[bool]:
    """The inspector `user_id` (a value or a bound parameter) is sent to the round site `round_site_id`."""
    return exists(select(EvalAssignment.id).where(EvalAssignment.round_site_id == round_site_id,
                                                  EvalAssignment.user_id == user_id))


def round_site_clause(user: User) -> ColumnElement[bool]:
    """Round sites (joined with their round as EvalRound and their site as EvalSite) the user may see."""
    if sees_everything(user):
        return true()
    if user.role == Role.inspector:
        return assigned(user.id, EvalRoundSite.id)
    if user.role == Role.unit_staff and user.unit_id is not None:
        return and_(EvalRound.state == RoundState.published.value, site_unit() == user.unit_id)
    return false()


def round_clause(user: User) -> ColumnElement[bool]:
    """Rounds the user may see: all for the office; those with a site the user may see otherwise."""
    if sees_everything(user):
        return true()
    if user.role == Role.inspector:
        return exists(select(EvalRoundSite.id).join(EvalAssignment, EvalAssignment.round_site_id == EvalRoundSite.id)
                      .where(EvalRoundSite.round_id == EvalRound.id, EvalAssignment.user_id == user.id))
    if user.role == Role.unit_staff and user.unit_id is not None:
        return and_(EvalRound.state == RoundState.published.value,
                    exists(select(EvalRoundSite.id).join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
                           .where(EvalRoundSite.round_id == EvalRound.id, site_unit() == user.unit_id)))
    return false()


def site_clause(user: User) -> ColumnElement[bool]:
    """Registry sites the user may see."""
    if sees_everything(user):
        return true()
    if user.role == Role.inspector:
        return exists(select(EvalRoundSite.id).join(EvalAssignment, EvalAssignment.round_site_id == EvalRoundSite.id)
                      .where(EvalRoundSite.site_id == EvalSite.id, EvalAssignment.user_id == user.id))
    if user.role == Role.unit_staff and user.unit_id is not None:
        return EvalSite.unit_id == user.unit_id
    return false()
