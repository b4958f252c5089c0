"""Publishing the bulletin (发布通报): the statistics of an ended period, frozen as they were computed.

Everything stored here is what app/stats produced at the moment of publishing (figures, ranking, overdue
list, the Excel and printable files), under one frozen clock so all of them share the same `as_of`. It is
stored, never recomputed: downloads are the stored bytes, byte for byte, however the tickets move on or the
definitions change later (`definitions_version` says which were used).
"""

import hashlib

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.bulletins.models import Bulletin
from app.bulletins.schemas import BulletinDetail, BulletinIn, BulletinOut, BulletinPage
from app.core import pagination
from app.core.errors import Conflict, Invalid, NotFound
from app.core.types import clock_at, utcnow
from app.stats import exports, periods
from app.stats.schemas import DEFINITIONS_VERSION, Period, RankRules
from app.stats.settings import office_rules
from app.users.models import User

_FILES_AND_FIGURES = (Bulletin.xlsx, Bulletin.html, Bulletin.summary, Bulletin.ranking, Bulletin.overdue,
                      Bulletin.formulas)


def resolve(body: BulletinIn) -> tuple[Period, RankRules]:
    """The period and the rules asked for (bad dates: 422 invalid_period)."""
    period = periods.resolve_period(body.period, body.on, body.from_, body.to)
    given = body.rules.model_dump(exclude_none=True) if body.rules else {}
    return period, office_rules().model_copy(update=given)


def publish(session: Session, user: User, body: BulletinIn) -> Bulletin:
    """Publish the bulletin of an ended period: 409 already_published if it was, 422 period_not_over if the
    period has not ended yet (its figures would still move: offices publish a week after it ends)."""
    period, rules = resolve(body)
    now = utcnow()
    if period.end > now:
        raise Invalid(f"{period.label} 尚未结束，结束后才能发布通报 The period has not ended yet; a bulletin is "
                      f"published after its period ends", code="period_not_over",
                      details={"end": period.end.isoformat()})
    if (existing := _find(session, period)) is not None:
        raise _already(existing)
    with clock_at(now):  # one "now" for the figures and both files, computed once and rendered twice
        figures = exports.figures(session, user, period, rules)
        summary, ranking, overdue = figures.summary, figures.ranking, figures.overdue
        xlsx, filename = exports.bulletin_xlsx(session, user, period, rules, computed=figures)
        page = exports.bulletin_html(session, user, period, rules, computed=figures).encode()
    bulletin = Bulletin(
        kind=period.kind.value, start_date=period.start_date, end_date=period.end_date, label=period.label,
        period=period.model_dump(mode="json"), as_of=now, published_at=now, published_by=user.id,
        published_by_name=user.display_name, definitions_version=DEFINITIONS_VERSION,
        rules=rules.model_dump(mode="json"), formulas=summary.formulas,
        summary=summary.model_dump(mode="json"), ranking=ranking.model_dump(mode="json"),
        overdue=[t.model_dump(mode="json") for t in overdue],
        xlsx=xlsx, xlsx_sha256=hashlib.sha256(xlsx).hexdigest(), xlsx_filename=filename,
        html=page, html_sha256=hashlib.sha256(page).hexdigest())
    session.add(bulletin)
    try:
        session.flush()
    except IntegrityError:  # published by someone else meanwhile
        session.rollback()
        raise _already(_find(session, period)) from None
    return bulletin


def _find(session: Session, period: Period) -> Bulletin | None:
    return session.exec(select(Bulletin).options(*(defer(c) for c in _FILES_AND_FIGURES))
                        .where(Bulletin.kind == period.kind.value, Bulletin.start_date == period.start_date,
                               Bulletin.end_date == period.end_date)).first()


def _already(existing: Bulletin | None) -> Conflict:
    return Conflict("本期通报已发布，不能重复发布 This period's bulletin is already published",
                    code="already_published", details={"id": existing.id if existing else None})


def listing(session: Session, *, limit: int, cursor: str | None) -> BulletinPage:
    """Published bulletins, newest first (their files and figures not loaded)."""
    stmt = select(Bulletin).options(*(defer(c) for c in _FILES_AND_FIGURES))
    rows, next_cursor = pagination.page(session, stmt, Bulletin.published_at, Bulletin.id, desc=True, limit=limit,
                                        cursor=cursor, id_type=int)
    return BulletinPage(items=[out(b) for b in rows], next_cursor=next_cursor)


def get(session: Session, bulletin_id: int) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFound("通报不存在 Bulletin not found")
    return bulletin


def out(b: Bulletin) -> BulletinOut:
    return BulletinOut.model_validate(b, from_attributes=True)


def detail(b: Bulletin) -> BulletinDetail:
    snapshot = {"period": b.period, "as_of": b.as_of, "rules": b.rules, "formulas": b.formulas,
                "summary": b.summary, "ranking": b.ranking, "overdue": b.overdue}
    return BulletinDetail(**out(b).model_dump(), snapshot=snapshot)
