"""Seed the taxonomy, and on an empty database a demo city with history: `python -m app.demo.seed`.

Set XUNCHA_DEMO_DATA=0 (or pass --no-demo) for a real deployment: only the taxonomy is loaded.
"""

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from app.bulletins import service as bulletins_service
from app.bulletins.schemas import BulletinIn
from app.categories import service as categories_service
from app.categories.models import Category
from app.config.service import CITY_CENTRE
from app.core.config import get_settings
from app.core.db import new_session
from app.core.security import hash_password
from app.core.types import clock_at, utcnow
from app.demo.pictures import street_scene
from app.evaluation import checklists as evaluation_checklists
from app.evaluation import rounds as evaluation_rounds
from app.evaluation.defaults import PREFIX
from app.evaluation.models import EvalAssignment, EvalChecklistItem, EvalRoundSite, EvalSite
from app.evaluation.results import submit as submit_result
from app.evaluation.schemas import AnswerIn, ResultIn, RoundIn, RoundState
from app.photos import service as photos_service
from app.stats.periods import local_midnight, resolve_period
from app.tickets import actions as tickets_actions
from app.tickets.models import Ticket
from app.tickets.schemas import (
    CancelIn,
    DecisionIn,
    DispatchIn,
    RectifyIn,
    RequestIn,
    RequestKind,
    SuperviseIn,
    TicketCreate,
    UrgeIn,
    VerifyIn,
    VoidIn,
)
from app.units import service as units_service
from app.units.models import Unit
from app.users.models import User
from app.users.roles import Role

DEMO_PASSWORD = "demo1234"
CENTRE = (CITY_CENTRE["lat"], CITY_CENTRE["lng"])  # the made-up city lies around the map's centre

UNITS = [  # name, kind, parent
    ("东城区人民政府", "district", None),
    ("西城区人民政府", "district", None),
    ("市城市管理局", "department", None),
    ("市住房和城乡建设局", "department", None),
    ("市公安局交通警察支队", "department", None),
    ("市市场监督管理局", "department", None),
    ("向阳街道办事处", "street", "东城区人民政府"),
    ("朝阳街道办事处", "street", "东城区人民政府"),
    ("新华街道办事处", "street", "西城区人民政府"),
]
USERS = [  # username, display name, role, unit
    ("inspector", "李督查", Role.inspector, None),
    ("inspector2", "王督查", Role.inspector, None),
    ("dispatcher", "陈派遣", Role.dispatcher, None),
    ("leader", "赵领导", Role.leader, None),
    ("admin", "系统管理员", Role.admin, None),
    ("unit_cgj", "城管局 刘工", Role.unit_staff, "市城市管理局"),
    ("unit_xyjd", "向阳街道 周主任", Role.unit_staff, "向阳街道办事处"),
    ("unit_zyjd", "朝阳街道 吴干事", Role.unit_staff, "朝阳街道办事处"),
    ("unit_xhjd", "新华街道 郑干事", Role.unit_staff, "新华街道办事处"),
    ("unit_zjj", "住建局 孙工", Role.unit_staff, "市住房和城乡建设局"),
    ("unit_jj", "交警支队 何警官", Role.unit_staff, "市公安局交通警察支队"),
    ("unit_scjg", "市场监管局 马科长", Role.unit_staff, "市市场监督管理局"),
]
# Class → default unit, when no grid contains the point.
CLASS_UNITS = {"06": "市城市管理局", "07": "市城市管理局", "08": "市住房和城乡建设局",
               "09": "市城市管理局", "03": "市城市管理局", "10": "市城市管理局"}
# Common 脏乱差 problems the demo reports, with the unit a dispatcher would pick outside grids.
PROBLEMS = [
    ("06010", "路边垃圾桶满溢，垃圾散落地面"), ("06012", "人行道油污、烟头较多"),
    ("07001", "电线杆上张贴小广告"), ("09006", "水果摊占用人行道经营"),
    ("09010", "电动车乱停放堵塞盲道"), ("06007", "沿街窗外晾晒衣物"),
    ("08006", "施工材料堆放在人行道"), ("09005", "餐馆店外摆放桌椅经营"),
    ("06017", "绿化带内有生活垃圾"), ("10002", "楼道口通信线缆脱落缠绕"),
    ("09009", "机动车占用人行道停放"), ("03005", "垃圾箱破损缺盖"),
]
# Grids: (name, unit, south-west corner offset in km from the centre, size in km)
GRIDS = [
    ("向阳街道 第一网格", "向阳街道办事处", (0.0, 0.0), 1.0),
    ("向阳街道 第二网格", "向阳街道办事处", (0.0, 1.0), 1.0),
    ("朝阳街道 第一网格", "朝阳街道办事处", (1.0, 0.0), 1.0),
    ("新华街道 第一网格", "新华街道办事处", (-1.0, -1.0), 1.0),
]
# Evaluation sites (测评点位): site type → (names, responsible units taken in turn).
STREETS = ["向阳街道办事处", "朝阳街道办事处", "新华街道办事处"]
SITES = {
    "farmers_market": (["向阳农贸市场", "朝阳菜市场", "新华综合市场", "东门集贸市场", "城西农贸市场"],
                       STREETS + ["市市场监督管理局"]),
    "back_alley": (["百花巷", "槐树弄", "井巷", "石板巷", "柳条巷", "染坊弄"], STREETS),
    "residential_compound": (["幸福里小区", "红星新村", "光明小区", "机械厂宿舍", "桂花苑", "南苑小区"], STREETS),
    "main_road_commercial_street": (["人民路", "解放路", "中山路步行街", "建设大道", "文化路"],
                                    ["市城市管理局", "东城区人民政府", "西城区人民政府"]),
    "bus_stop": (["人民路口站", "火车站站", "市医院站", "体育馆站", "文化宫站"],
                 ["市城市管理局", "市公安局交通警察支队"]),
    "school_surroundings": (["实验小学周边", "第一中学周边", "向阳小学周边", "新华中学周边"], STREETS),
    "public_square_park": (["人民广场", "滨江公园", "朝阳公园", "文化广场"], ["市城市管理局"] + STREETS),
    "construction_site_hoarding": (["地铁三号线工地", "城东安置房工地", "新华路改造工地"], ["市住房和城乡建设局"]),
    "public_toilet_refuse_station": (["人民路公厕", "滨江公厕", "城西垃圾中转站"], ["市城市管理局"]),
}


def _offset(km_north: float, km_east: float) -> tuple[float, float]:
    lat = CENTRE[0] + km_north / 111.32
    lng = CENTRE[1] + km_east / (111.32 * 0.8638)  # cos(30.27°)
    return lat, lng


def _square(sw: tuple[float, float], size_km: float) -> dict:
    s, w = _offset(*sw)
    n, e = _offset(sw[0] + size_km, sw[1] + size_km)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def seed_city(session: Session) -> dict[str, User]:
    units: dict[str, Unit] = {}
    for name, kind, parent in UNITS:
        units[name] = Unit(name=name, kind=kind, parent_id=units[parent].id if parent else None)
        session.add(units[name])
        session.flush()
    for name, unit, sw, size in GRIDS:
        session.add(units_service.grid_from_geojson(name, units[unit].id, _square(sw, size)))
    for code, unit in CLASS_UNITS.items():
        session.get(Category, code).default_unit_id = units[unit].id
    users = {}
    password_hash = hash_password(DEMO_PASSWORD)
    for username, display, role, unit in USERS:
        users[username] = User(username=username, display_name=display, role=role, password_hash=password_hash,
                               unit_id=units[unit].id if unit else None)
        session.add(users[username])
    session.commit()
    return users


def seed_sites(session: Session) -> int:
    """About forty evaluation sites of every type around the demo city, each with a responsible unit."""
    units = {u.name: u.id for u in session.exec(select(Unit)).all()}
    rng = random.Random(12)
    count = 0
    for site_type, (names, unit_names) in SITES.items():
        for i, name in enumerate(names):
            lat, lng = _offset(rng.uniform(-1.5, 2.0), rng.uniform(-1.5, 2.0))
            session.add(EvalSite(code=f"DEMO-{PREFIX[site_type]}-{i + 1:02d}", name=name, site_type=site_type,
                                 lat=round(lat, 6), lng=round(lng, 6), address=f"{name}（示例地址）",
                                 unit_id=units[unit_names[i % len(unit_names)]], contact_name="值班员",
                                 contact_phone=f"0571-8800{count:04d}"))
            count += 1
    session.commit()
    return count


def _photo(session: Session, user: User, label: str, seed: int, after: bool, lat: float, lng: float) -> uuid.UUID:
    pid = uuid.uuid4()
    # Seeding is not a request, so it commits itself: after each step, and before an upload, which checks
    # and enqueues on a short session of its own (on SQLite it must not wait for our write lock).
    session.commit()
    photos_service.upload(session, user, pid, street_scene(label, seed, after=after), lat=lat, lng=lng)
    session.commit()
    return pid


def seed_history(session: Session, users: dict[str, User], *, count: int = 48, weeks: int = 8,
                 now: datetime | None = None) -> None:
    """Tickets in every state over the last weeks (up to `now`, default the real now), through the real
    workflow with generated photos."""
    rng = random.Random(20261121)
    real_now = now or datetime.now(UTC)
    # This week and this month (from Monday 00:00 and the 1st, in the city's time zone) get a share of the recent
    # tickets even early on a Monday or a 1st, so a leader opening the demo's dashboard (本周 by default, or 本月)
    # sees figures and a red/black list, not zeros. They are reported by `last`, before seed_evaluation's first
    # finding (90 minutes ago: case numbers rise with report time), and later() squeezes their steps; a period
    # younger than that is left empty.
    this_start = max(local_midnight(resolve_period(kind, now=real_now).start_date) for kind in ("week", "month"))
    last = real_now - timedelta(minutes=105)
    room = min(last - this_start, timedelta(days=3.5))
    units = {u.name: u for u in session.exec(select(Unit)).all()}
    inspectors = [users["inspector"], users["inspector2"], users["dispatcher"]]
    staff_by_unit = {u.unit_id: u for u in users.values() if u.role == Role.unit_staff}
    # Final states: mostly closed, and every state present even in a small demo (one of each first).
    weights = {"closed": 22, "closed_rework": 4, "rectified": 5, "dispatched": 6, "overdue": 4, "reported": 4,
               "returned": 1, "cancelled": 2, "suspended": 1, "voided": 1, "pending_extension": 1,
               "pending_return": 1, "pending_suspension": 1, "extended": 1, "urged": 1, "supervised": 1}
    plan = list(weights) + [k for k, n in weights.items() for _ in range(n - 1)]
    specs = []

    def later(t: datetime, hours: float) -> datetime:
        """t + hours, but never in the real future: demo history must have happened already."""
        return min(t + timedelta(hours=hours), max(t + timedelta(minutes=1), real_now - timedelta(minutes=30)))

    for i in range(count):
        outcome = plan[i % len(plan)]
        recent = outcome in ("reported", "rectified", "dispatched") or outcome in EXCEPTIONS
        # A third of the closed tickets are this week's: a leader opening the demo sees a week's 结案率, not 0 %.
        closed_lately = outcome == "closed" and i % 3 == 0
        days = rng.uniform(0.3, 5) if recent else rng.uniform(1.5, 3.5) if closed_lately else rng.uniform(5, weeks * 7)
        t = real_now - timedelta(days=days, minutes=rng.randint(0, 600))
        if (closed_lately or (recent and i % 2 == 0)) and t < this_start and room >= timedelta(minutes=30):
            # the same place in this period's room as in the usual range, so their order holds
            t = last - room * ((days - 1.5) / 2 if closed_lately else (days - 0.3) / 4.7)
        specs.append((t, i, outcome))
    # Report in time order, so case numbers rise with report time as they would in real life.
    waiting_for_inspector = near_made = False
    for t, i, outcome in sorted(specs):
        code, text = PROBLEMS[i % len(PROBLEMS)]
        lat, lng = _offset(rng.uniform(-1.2, 2.0), rng.uniform(-1.2, 2.0))
        reporter = rng.choice(inspectors)
        if outcome == "rectified" and not waiting_for_inspector:
            # `inspector`, the first demo login, has a rectification of their own report waiting (待核查 in 消息);
            # drawn all the same, so the rest of the city stays as it was.
            reporter, waiting_for_inspector = users["inspector"], True
        label = session.get(Category, code).name_zh
        with clock_at(t):
            photos = [_photo(session, reporter, label, i * 10 + k, False, lat, lng) for k in range(1 + i % 2)]
            body = TicketCreate(id=uuid.uuid4(), category_code=code, description=text, lat=lat, lng=lng,
                                accuracy_m=rng.choice([5, 8, 12, 20]), address=f"示例路{rng.randint(1, 300)}号",
                                photo_ids=photos)
            ticket, _ = tickets_actions.report(session, reporter, body)
            session.commit()
        if outcome == "reported":
            continue
        t = later(t, rng.uniform(0.5, 6))
        dispatcher = users["dispatcher"]
        if outcome == "cancelled":
            with clock_at(t):
                tickets_actions.cancel(session, dispatcher, ticket.id, CancelIn(action_id=uuid.uuid4(),
                                       reason="经核实为重复上报"))
                session.commit()
            continue
        unit_id = ticket.suggested_unit_id or units[CLASS_UNITS[code[:2]]].id
        staff = staff_by_unit[unit_id]
        with clock_at(t):
            deadline = t + timedelta(hours=2) if outcome == "overdue" else None
            if outcome == "dispatched" and not near_made:
                # One ticket 预超期 whatever the hour the demo is seeded: its time left (3 h, or less when it was
                # dispatched lately) is at most half of the time it was given. By chance alone the demo had one
                # in the morning and none at night.
                deadline, near_made = real_now + min(timedelta(hours=3), real_now - t), True
            tickets_actions.dispatch(session, dispatcher, ticket.id,
                                     DispatchIn(action_id=uuid.uuid4(), unit_id=unit_id, deadline=deadline))
            session.commit()
        if outcome in ("dispatched", "overdue"):
            continue
        t = later(t, rng.uniform(1, 30))
        if outcome in EXCEPTIONS:
            _exception(session, users, staff, ticket.id, outcome, t, later, real_now)
            continue
        rounds = 2 if outcome == "closed_rework" else 1
        for r in range(rounds):
            with clock_at(t):
                after = _photo(session, staff, label, i * 10 + 5 + r, True, lat, lng)
                tickets_actions.rectify(session, staff, ticket.id, RectifyIn(
                    action_id=uuid.uuid4(), note="已清理完毕", photo_ids=[after]))
                session.commit()
            if outcome == "rectified":
                break
            t = later(t, rng.uniform(2, 48))
            passed = r == rounds - 1
            with clock_at(t):
                tickets_actions.verify(session, rng.choice(inspectors[:2]), ticket.id, VerifyIn(
                    action_id=uuid.uuid4(), passed=passed,
                    note="复查合格" if passed else "仍有垃圾残留，请返工"))
                session.commit()
            t = later(t, rng.uniform(2, 24))


# Outcomes that end in a deadline exception (延期 / 回退 / 挂账 requests, 作废, 催办, 督办).
EXCEPTIONS = ("returned", "suspended", "voided", "pending_extension", "pending_return", "pending_suspension",
              "extended", "urged", "supervised")


def _exception(session: Session, users: dict[str, User], staff: User, ticket_id: uuid.UUID, outcome: str,
               t: datetime, later, real_now: datetime) -> None:
    """Take a dispatched ticket through one exception, at demo time t and a little later."""
    dispatcher, leader = users["dispatcher"], users["leader"]

    def step(when: datetime, fn) -> None:
        with clock_at(when):
            fn()
            session.commit()

    def ask(kind: RequestKind, reason: str, **kw) -> uuid.UUID:
        rid = uuid.uuid4()
        step(t, lambda: tickets_actions.request(session, staff, ticket_id, RequestIn(
            action_id=rid, kind=kind, reason=reason, **kw)))
        return rid

    def decide(user: User, rid: uuid.UUID, **kw) -> None:
        step(later(t, 3), lambda: tickets_actions.decide(session, user, ticket_id, rid, DecisionIn(
            action_id=uuid.uuid4(), **kw)))

    # A review date in the real future: the demo's suspensions do not resume as soon as the worker starts.
    review = real_now + timedelta(days=21)
    if outcome == "returned":
        rid = ask(RequestKind.return_, "不属于本单位职责，请改派")
        decide(dispatcher, rid, approve=True, note="同意回退，另行派遣")
    elif outcome == "pending_return":
        ask(RequestKind.return_, "该路段已移交区里管理")
    elif outcome == "pending_extension":
        ask(RequestKind.extension, "需协调施工队，申请延期",
            deadline=t + timedelta(days=6))
    elif outcome == "extended":
        rid = ask(RequestKind.extension, "雨天无法施工", deadline=t + timedelta(days=5))
        decide(dispatcher, rid, approve=True, note="同意延期")
    elif outcome == "pending_suspension":
        ask(RequestKind.suspension, "需立项改造，年内无法完成", review_at=review)
    elif outcome == "suspended":
        rid = ask(RequestKind.suspension, "道路改造工程未完工", review_at=review)
        decide(leader, rid, approve=True, review_at=review, note="同意挂账，到期复查")
    elif outcome == "voided":
        step(t, lambda: tickets_actions.void(session, dispatcher, ticket_id, VoidIn(
            action_id=uuid.uuid4(), reason="误派：经核实并非问题")))
    elif outcome in ("urged", "supervised"):
        step(t, lambda: tickets_actions.urge(session, dispatcher, ticket_id, UrgeIn(
            action_id=uuid.uuid4(), note="请尽快整改")))
        if outcome == "supervised":
            step(later(t, 2), lambda: tickets_actions.supervise(session, leader, ticket_id, SuperviseIn(
                action_id=uuid.uuid4(), note="限期整改到位")))


# The demo's 实地测评: (name, hours before now it started, sites drawn per type, seed, state it is left in).
ROUNDS = [
    ("创城模拟测评（第一轮）", 36, {"back_alley": 2, "farmers_market": 2, "residential_compound": 2,
                              "main_road_commercial_street": 1, "public_square_park": 1}, 2026120, "published"),
    ("创城模拟测评（第二轮）", 1.2, {"back_alley": 2, "bus_stop": 2, "school_surroundings": 2}, 2026121, "active"),
]
# Which items of a site fail (by position in its checklist), by the site's place in the round: a few sites clean,
# most with one or two problems, as a real round finds them.
FAILS = [(0,), (), (1, 3), (2,), (0, 4), (), (3,), (1,)]


def seed_evaluation(session: Session, users: dict[str, User]) -> None:
    """A published round (every site scored, its findings dispatched to the sites' units) and one under way (two
    sites scored, the rest still to visit), through the real services. Run after seed_history: a finding is a
    report and takes the next case number, so the rounds' results come after the history's last report."""
    real_now = datetime.now(UTC)
    inspectors = {u.id: u for u in (users["inspector"], users["inspector2"])}
    office, leader = users["dispatcher"], users["leader"]
    last_report = session.exec(select(func.max(Ticket.reported_at))).one() or real_now - timedelta(days=1)
    for name, hours_ago, counts, seed, state in ROUNDS:
        starts = real_now - timedelta(hours=hours_ago)
        with clock_at(starts - timedelta(hours=1)):
            # The published round's window has ended; the other runs on for the days ahead.
            ends = real_now - timedelta(minutes=85) if state == "published" else starts + timedelta(days=5)
            round_ = evaluation_rounds.create(session, office, RoundIn(
                name=name, starts_at=starts, ends_at=ends, counts=counts, seed=seed,
                inspector_ids=list(inspectors), dispatch_on_publish=True))
            session.commit()
        with clock_at(starts):
            evaluation_rounds.transition(session, office, round_, RoundState.active)
            session.commit()
        sites = session.exec(select(EvalRoundSite, EvalSite, EvalAssignment.user_id)
                             .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
                             .join(EvalAssignment, EvalAssignment.round_site_id == EvalRoundSite.id)
                             .where(EvalRoundSite.round_id == round_.id).order_by(EvalRoundSite.id)).all()
        if state == "published":  # every site, between the history's last report and 90 minutes ago
            last = real_now - timedelta(minutes=90)
            first = min(last, max(starts, last_report.replace(tzinfo=UTC)) + timedelta(minutes=10))
            done = sites
        else:  # two sites an hour ago; the rest wait (我的测评点位 lists them)
            first, last = real_now - timedelta(minutes=60), real_now - timedelta(minutes=50)
            done = sites[:2]
        for k, (round_site, site, user_id) in enumerate(done):
            when = first + (last - first) * k / max(1, len(done) - 1)
            _evaluate(session, inspectors[user_id], round_.id, round_site, site, FAILS[k % len(FAILS)], when)
        if state == "published":
            for to, at in ((RoundState.closed, real_now - timedelta(minutes=80)),
                           (RoundState.published, real_now - timedelta(minutes=75))):
                with clock_at(at):
                    evaluation_rounds.transition(session, leader, round_, to)
                    session.commit()


def _evaluate(session: Session, inspector: User, round_id: int, round_site: EvalRoundSite, site: EvalSite,
              fails: tuple[int, ...], when: datetime) -> None:
    """Submit a site's result as the phone would: every item answered, the failed ones with their photos."""
    items = session.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == round_site.checklist_id)
                         .order_by(EvalChecklistItem.position)).all()
    answers = []
    with clock_at(when):
        for k, item in enumerate(items):
            if k in fails:
                photos = [_photo(session, inspector, site.name, round_site.id * 100 + k * 10 + n, False, site.lat,
                                 site.lng) for n in range(item.photos_required)]
                answers.append(AnswerIn(item_code=item.code, verdict="fail", occurrences=1 + k % 2,
                                        note="现场检查发现", photo_ids=photos))
            else:
                answers.append(AnswerIn(item_code=item.code, verdict="pass"))
        submit_result(session, inspector, round_id, site.id, ResultIn(
            id=uuid.uuid4(), status="evaluated", lat=site.lat, lng=site.lng, accuracy_m=10, answers=answers))
        session.commit()


def publish_bulletins(session: Session, users: dict[str, User]) -> None:
    """Last week's and last month's bulletins, published as the office would after each period ended."""
    today = datetime.now(get_settings().tz).date()
    for kind, on in (("week", today - timedelta(days=7)), ("month", today.replace(day=1) - timedelta(days=1))):
        bulletins_service.publish(session, users["dispatcher"], BulletinIn(period=kind, on=on))
        session.commit()


def main(argv: list[str]) -> None:
    demo = "--no-demo" not in argv and get_settings().demo_data  # XUNCHA_DEMO_DATA, also from .env
    with new_session(write=True) as session:
        n = categories_service.sync_taxonomy(session)
        session.commit()
        print(f"taxonomy: {n} categories")
        made = evaluation_checklists.seed(session)
        session.commit()
        print(f"checklists: {made} site types seeded")
        if not demo:
            return
        if session.exec(select(User)).first() is not None:
            print("demo: database already has users; nothing seeded")
            return
        started = utcnow()
        users = seed_city(session)
        seed_sites(session)
        seed_history(session, users)
        seed_evaluation(session, users)
        publish_bulletins(session, users)
        print(f"demo: city seeded in {(utcnow() - started).total_seconds():.1f}s (password {DEMO_PASSWORD})")


if __name__ == "__main__":
    main(sys.argv[1:])
