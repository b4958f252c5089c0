"""Administration of the office's settings: the map served to every app, the red/black list rules and the
working calendar by year. Each change is audited; the values are read back through app/config/office.py."""

from sqlmodel import Session

from app.audit import service as audit
from app.config import office
from app.config import service as config_service
from app.config.schemas import CalendarYear, CalendarYearOut, MapSettings, OfficeSettingsOut
from app.core.errors import Invalid, NotFound
from app.stats.schemas import RankRules
from app.stats.settings import office_rules
from app.tickets import deadlines

MIN_YEAR, MAX_YEAR = 2000, 2100


def overview(session: Session) -> OfficeSettingsOut:
    stored = office.cache.values(session)
    return OfficeSettingsOut(
        map=config_service.map_config(session), map_source="office" if office.MAP in stored else "default",
        rank_rules=office_rules(), rank_rules_source="office" if office.RANK_RULES in stored else "default",
        calendar_years=sorted(office.calendar_years(session)))


def _audit(session: Session, actor: audit.Actor, verb: str, key: str, before: dict | None, after: dict | None):
    audit.record(session, actor, f"settings.{verb}", "settings", key, before, after)


def put_map(session: Session, actor: audit.Actor, body: MapSettings) -> None:
    before, after = office.put(session, office.MAP, body.model_dump(mode="json"))
    _audit(session, actor, "map", office.MAP, before, after)


def put_rank_rules(session: Session, actor: audit.Actor, body: RankRules) -> None:
    before, after = office.put(session, office.RANK_RULES, body.model_dump(mode="json"))
    _audit(session, actor, "rank_rules", office.RANK_RULES, before, after)


def reset(session: Session, actor: audit.Actor, key: str) -> None:
    """Back to the environment's default (the stored value is removed)."""
    before = office.delete(session, key)
    if before is not None:
        _audit(session, actor, "reset", key, before, None)


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(f"年份应在 {MIN_YEAR}–{MAX_YEAR} Year out of range", code="invalid_year")
    return year


def calendar(session: Session, year: int) -> CalendarYearOut:
    """A year's calendar in force: the office's, or the default's dates of that year."""
    stored = office.calendar_years(session).get(_year(year))
    if stored is not None:
        return CalendarYearOut(year=year, source="office", **stored)
    cal = deadlines.working_calendar(session)
    return CalendarYearOut(year=year, source="default", holidays=sorted(d for d in cal.holidays if d.year == year),
                           workdays=sorted(d for d in cal.workdays if d.year == year))


def put_calendar(session: Session, actor: audit.Actor, year: int, body: CalendarYear) -> CalendarYearOut:
    """Set a year's holidays and make-up working days (all dates in that year, none in both lists)."""
    _year(year)
    holidays, workdays = sorted(set(body.holidays)), sorted(set(body.workdays))
    outside = [d.isoformat() for d in holidays + workdays if d.year != year]
    if outside:
        raise Invalid(f"日期不在 {year} 年内 Dates outside {year}", code="invalid_calendar",
                      details={"outside_year": outside})
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise Invalid("同一天不能既是假日又是调休工作日 A day cannot be both a holiday and a working day",
                      code="invalid_calendar", details={"both": [d.isoformat() for d in both]})
    value = {"holidays": [d.isoformat() for d in holidays], "workdays": [d.isoformat() for d in workdays]}
    before, after = office.put(session, office.calendar_key(year), value)
    _audit(session, actor, "calendar", office.calendar_key(year), before, after)
    return calendar(session, year)


def delete_calendar(session: Session, actor: audit.Actor, year: int) -> CalendarYearOut:
    key = office.calendar_key(_year(year))
    if office.get(session, key) is None:
        raise NotFound(f"{year} 年没有办公室设定的日历 No office calendar for {year}")
    reset(session, actor, key)
    return calendar(session, year)
