"""Imports every table so that SQLModel.metadata is complete (Alembic and tests read it)."""

from app.audit.models import AuditLog
from app.auth.models import AccessToken, LoginAttempt
from app.bulletins.models import Bulletin
from app.categories.models import Category
from app.config.models import OfficeSetting
from app.evaluation.models import (
    EvalAnswer,
    EvalAssignment,
    EvalChecklist,
    EvalChecklistItem,
    EvalResult,
    EvalRound,
    EvalRoundSite,
    EvalSite,
)
from app.jobs.models import Job
from app.notifications.models import Channel, Delivery, Notification
from app.photos.models import Photo
from app.tickets.models import BulkAction, CaseCounter, Ticket, TicketAssignment, TicketEvent, TicketPhoto
from app.units.models import Grid, Unit
from app.users.models import User

__all__ = [
    "AccessToken", "AuditLog", "Bulletin", "BulkAction", "CaseCounter", "Category", "Channel", "Delivery", "EvalAnswer",
    "EvalAssignment", "EvalChecklist", "EvalChecklistItem", "EvalResult", "EvalRound", "EvalRoundSite", "EvalSite",
    "Grid", "Job", "LoginAttempt", "Notification", "OfficeSetting", "Photo", "Ticket", "TicketAssignment",
    "TicketEvent", "TicketPhoto", "Unit", "User",
]


def outside_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object hook: False for the search objects that migrations alone manage."""
    if type_ == "table" and name and name.startswith("tickets_search"):
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))
