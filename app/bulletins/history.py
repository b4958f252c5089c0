"""What earlier published bulletins said about the ranking: last period's ranks (↑↓) and how long a unit has
been on the black list. Read by app/stats/service.py, so this module imports nothing of app/stats but its
pure period arithmetic."""

from typing import Any

from sqlalchemy.orm import load_only
from sqlmodel import Session, select

from app.bulletins.models import Bulletin
from app.stats.periods import previous_period
from app.stats.schemas import Period


def published(session: Session, period: Period) -> Bulletin | None:
    """The bulletin published for exactly this period (kind and dates), its ranking loaded, files not."""
    return session.exec(select(Bulletin).options(load_only(Bulletin.id, Bulletin.ranking))
                        .where(Bulletin.kind == period.kind.value, Bulletin.start_date == period.start_date,
                               Bulletin.end_date == period.end_date)).first()


def published_summary(session: Session, period: Period, definitions_version: int) -> dict[str, Any] | None:
    """The figures (summary) published for exactly this period under these definitions; None if none was."""
    row = session.exec(select(Bulletin.summary, Bulletin.definitions_version)
                       .where(Bulletin.kind == period.kind.value, Bulletin.start_date == period.start_date,
                              Bulletin.end_date == period.end_date)).first()
    return row[0] if row is not None and row[1] == definitions_version else None


def ranked_rows(ranking: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """A stored ranking's rows by unit id, wherever the ranking keeps them (one list today; per unit kind
    groups would nest them): every object with a unit_id and a rank."""
    rows: dict[int, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "unit_id" in node and "rank" in node:
                rows[node["unit_id"]] = node
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ranking)
    return rows


def previous_ranks(session: Session, period: Period) -> dict[int, int] | None:
    """Each unit's rank in the bulletin published for the period before this one; None if none was."""
    before = published(session, previous_period(period))
    if before is None:
        return None
    return {unit_id: row["rank"] for unit_id, row in ranked_rows(before.ranking).items()}


def black_streaks(session: Session, period: Period, black_now: list[int]) -> dict[int, int]:
    """For each unit black in this period: how many consecutive periods of its kind, this one included, it has
    been on the black list, counting back through published bulletins (the first period without one, or
    without the unit on its black list, ends the run)."""
    streak = dict.fromkeys(black_now, 1)
    still = set(black_now)
    p = period
    while still:
        p = previous_period(p)
        bulletin = published(session, p)
        if bulletin is None:
            break
        rows = ranked_rows(bulletin.ranking)
        still = {u for u in still if rows.get(u, {}).get("list") == "black"}
        for u in still:
            streak[u] += 1
    return streak
