"""The office's settings: the map every app gets from /api/config (and the CSP allows its tiles), the
red/black list rules in rankings, and the working calendar the default deadlines count on; without a restart
and, through the fingerprint check, across processes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.auth import devices
from app.categories.models import Category
from app.config import office
from app.config.models import OfficeSetting
from app.stats.settings import office_rules
from app.tickets import deadlines
from app.users.roles import Role
from tests.admin.conftest import audit_count, audit_rows
from tests.conftest import login, make_user

CITY = ZoneInfo("Asia/Shanghai")
TILES = {"layers": [{"url": "https://tiles.example.cn/{z}/{x}/{y}.png", "subdomains": ""}], "crs": "gcj02",
         "attribution": "© 示例图源"}


def office_settings(db) -> list[OfficeSetting]:
    """What the office set (the device tokens' secret, stored at the first login, is no setting of theirs)."""
    return list(db.exec(select(OfficeSetting).where(OfficeSetting.key != devices.SECRET_KEY)).all())


def test_the_map_reaches_every_app_and_the_csp(client, db, admin):
    h = admin["h"]
    default = client.get("/api/config").json()["map"]
    r = client.put("/api/admin/settings/map", headers=h, json=TILES)
    assert r.status_code == 200, r.text
    assert r.json()["map_source"] == "office"
    r = client.get("/api/config")  # public: before login
    assert r.json()["map"]["layers"] == TILES["layers"]
    assert (r.json()["map"]["crs"], r.json()["map"]["attribution"]) == ("gcj02", "© 示例图源")
    assert "https://tiles.example.cn" in r.headers["content-security-policy"].split("img-src", 1)[1].split(";")[0]
    [row] = audit_rows(db, entity_type="settings")
    assert (row.action, row.entity_id, row.before, row.after["crs"]) == ("settings.map", "map", None, "gcj02")
    r = client.delete("/api/admin/settings/map", headers=h)
    assert r.json()["map_source"] == "default"
    assert client.get("/api/config").json()["map"] == default


def test_a_bad_map_is_refused_with_nothing_written(client, db, admin):
    h = admin["h"]
    layer = TILES["layers"][0]
    bad = [
        TILES | {"crs": "bd09"},  # the apps convert GCJ-02 only: a Baidu map would put every pin ~500 m off
        TILES | {"layers": [layer | {"url": "javascript:alert(1)//{z}{x}{y}"}]},
        TILES | {"layers": [layer | {"url": "https://tiles.example.cn/tile.png"}]},  # no {z}/{x}/{y}
        TILES | {"layers": [layer] * 5},
        TILES | {"layers": [layer | {"subdomains": "a b"}]},
        TILES | {"attribution": "x" * 201},
        TILES | {"centre": {"lat": 30}},
        TILES | {"centre": {"lat": 91, "lng": 120}},
        # Every response's Content-Security-Policy names the tile hosts: a header is Latin-1, without NUL or ';'
        TILES | {"layers": [layer | {"url": "https://瓦片.示例.cn/{z}/{x}/{y}.png"}]},
        TILES | {"layers": [layer | {"url": "https://tiles\x00.example.cn/{z}/{x}/{y}.png"}]},
        TILES | {"layers": [layer | {"url": "https://a.cn;script-src:*/{z}/{x}/{y}.png"}]},
    ]
    for body in bad:
        r = client.put("/api/admin/settings/map", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
    for centre in ('{"lat": NaN, "lng": 120}', '{"lat": 30, "lng": 1e309}'):  # what Python's JSON reads as floats
        body = '{"layers": [], "crs": "gcj02", "centre": ' + centre + "}"
        r = client.put("/api/admin/settings/map", headers=h | {"Content-Type": "application/json"}, content=body)
        assert r.status_code == 422, (body, r.text)
    assert client.get("/api/health").status_code == 200
    assert audit_count(db) == 0
    assert office_settings(db) == []


def test_rank_rules_apply_to_rankings_until_reset(client, db, admin):
    h = admin["h"]
    leader = login(client, make_user(db, Role.leader))
    rules = {"red_min_rate": 0.95, "red_top": 2, "black_max_rate": 0.6, "black_bottom": 1, "min_dispatched": 3}
    assert client.put("/api/admin/settings/rank-rules", headers=h, json=rules).json()["rank_rules"] == rules
    assert client.get("/api/stats/ranking", headers=leader).json()["rules"] == rules
    # A request's own parameters still override the office's rules.
    asked = client.get("/api/stats/ranking", headers=leader, params={"red_top": 7}).json()["rules"]
    assert asked == rules | {"red_top": 7}
    r = client.put("/api/admin/settings/rank-rules", headers=h, json=rules | {"red_min_rate": 1.5})
    assert r.status_code == 422
    client.delete("/api/admin/settings/rank-rules", headers=h)
    assert client.get("/api/stats/ranking", headers=leader).json()["rules"]["red_top"] == 5  # the environment's


def test_rank_rules_out_of_bounds_are_refused_with_nothing_stored(client, db, admin):
    """The stored rules are bounded like the query parameters of the same names (a huge int once reached the
    stored JSON, every ranking and bulletin)."""
    h = admin["h"]
    rules = {"red_min_rate": 0.95, "red_top": 10_000, "black_max_rate": 0.6, "black_bottom": 10_000,
             "min_dispatched": 1_000_000}
    for field, bad in (("red_top", 10_001), ("red_top", 2**70), ("black_bottom", 2**70),
                       ("min_dispatched", 1_000_001), ("min_dispatched", 2**70), ("black_bottom", -1)):
        r = client.put("/api/admin/settings/rank-rules", headers=h, json=rules | {field: bad})
        assert r.status_code == 422, (field, bad, r.text)
        assert r.json()["error"]["code"]
    assert audit_count(db) == 0
    assert office_settings(db) == []
    # The largest allowed values are stored and read back as they were sent.
    assert client.put("/api/admin/settings/rank-rules", headers=h, json=rules).json()["rank_rules"] == rules
    db.expire_all()
    assert db.get(OfficeSetting, office.RANK_RULES).value == rules
    assert client.get("/api/admin/settings", headers=h).json()["rank_rules"] == rules
    leader = login(client, make_user(db, Role.leader))
    assert client.get("/api/stats/ranking", headers=leader).json()["rules"] == rules
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["RankRules"]["properties"]
    assert (schema["red_top"]["maximum"], schema["min_dispatched"]["maximum"]) == (10_000, 1_000_000)


def test_rank_rules_stored_before_they_were_bounded_fall_back_to_the_environment(client, db):
    db.add(OfficeSetting(key=office.RANK_RULES, value={"red_top": 2**70, "min_dispatched": 2}))
    db.commit()
    office.cache.clear()
    leader = login(client, make_user(db, Role.leader))
    r = client.get("/api/stats/ranking", headers=leader)
    assert r.status_code == 200 and r.json()["rules"]["red_top"] == 5 and r.json()["rules"]["min_dispatched"] == 1
    assert office_rules().red_top == 5


def test_the_working_calendar_moves_default_deadlines(client, db, admin):
    h = admin["h"]
    category = db.get(Category, "06010").model_copy(update={"default_deadline_hours": 40})  # 5 working days
    friday = datetime(2027, 3, 5, 10, 0, tzinfo=CITY)
    # Monday to Friday: Mon 8 (1), Tue 9 (2), Wed 10 (3), Thu 11 (4), Fri 12 (5).
    assert deadlines.default_deadline(category, friday, db) == datetime(2027, 3, 12, 10, 0, tzinfo=CITY)
    r = client.put("/api/admin/settings/calendar/2027", headers=h,
                   json={"holidays": ["2027-03-09", "2027-03-08", "2027-03-08"], "workdays": ["2027-03-06"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"year": 2027, "source": "office", "holidays": ["2027-03-08", "2027-03-09"],
                        "workdays": ["2027-03-06"]}
    # Sat 6 is worked (1), Sun 7 off, Mon 8 and Tue 9 holidays, Wed 10 (2), Thu 11 (3), Fri 12 (4), Mon 15 (5).
    assert deadlines.default_deadline(category, friday, db) == datetime(2027, 3, 15, 10, 0, tzinfo=CITY)
    # Another year keeps the default (no calendar file here: Monday to Friday).
    assert client.get("/api/admin/settings/calendar/2028", headers=h).json() == {
        "year": 2028, "source": "default", "holidays": [], "workdays": []}
    assert client.get("/api/admin/settings", headers=h).json()["calendar_years"] == [2027]
    r = client.delete("/api/admin/settings/calendar/2027", headers=h)
    assert r.json()["source"] == "default"
    assert deadlines.default_deadline(category, friday, db) == datetime(2027, 3, 12, 10, 0, tzinfo=CITY)
    assert [x.action for x in audit_rows(db, entity_type="settings")] == ["settings.calendar", "settings.reset"]


def test_a_bad_calendar_is_refused_with_nothing_written(client, db, admin):
    h = admin["h"]
    for year, body, code in [
        (2027, {"holidays": ["2026-12-31"]}, "invalid_calendar"),
        (2027, {"holidays": ["2027-05-01"], "workdays": ["2027-05-01"]}, "invalid_calendar"),
        (2027, {"holidays": ["2027-02-30"]}, "validation_error"),
        (2027, {"holidays": [f"2027-01-{d:02d}" for d in range(1, 32)] * 12}, "validation_error"),
        (1999, {"holidays": []}, "validation_error"),
    ]:
        r = client.put(f"/api/admin/settings/calendar/{year}", headers=h, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), (body, r.text)
    assert client.delete("/api/admin/settings/calendar/2027", headers=h).status_code == 404
    assert audit_count(db) == 0


def test_a_change_made_by_another_process_is_seen_after_the_cache_s_ttl(client, db, admin, monkeypatch):
    assert office_rules().red_top == 5
    # Another process wrote the table: this one's cache is not told.
    db.add(OfficeSetting(key=office.RANK_RULES, value={"red_top": 9}))
    db.commit()
    assert office_rules().red_top == 5  # within the TTL, the cached value
    now = office.time.monotonic()
    monkeypatch.setattr(office.time, "monotonic", lambda: now + office.TTL_SECONDS + 0.1)
    assert office_rules().red_top == 9
    row = db.get(OfficeSetting, office.calendar_key(2027)) or OfficeSetting(key=office.calendar_key(2027), value={})
    row.value = {"holidays": ["2027-03-08"], "workdays": []}
    db.add(row)
    db.commit()
    monkeypatch.setattr(office.time, "monotonic", lambda: now + 2 * office.TTL_SECONDS + 0.2)
    assert date(2027, 3, 8) in deadlines.working_calendar(db).holidays


def test_a_bad_tile_host_stored_before_it_was_refused_does_not_take_the_app_down(client, db):
    """A map saved before the admin API checked tile hosts: the CSP leaves such a host out (its tiles do not load)
    instead of every response failing to encode its header."""
    stored = TILES | {"layers": [{"url": "https://瓦片.示例.cn/{z}/{x}/{y}.png", "subdomains": ""},
                                 {"url": "https://a.cn;script-src:*/{z}/{x}/{y}.png", "subdomains": ""},
                                 {"url": "https://tiles.example.cn/{z}/{x}/{y}.png", "subdomains": ""}]}
    db.add(OfficeSetting(key=office.MAP, value=stored))
    db.commit()
    office.cache.clear()
    for path in ("/api/config", "/api/health", "/"):  # /api/config reads the settings; the others use that
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        img_src = r.headers["content-security-policy"].split("img-src", 1)[1].split(";")[0]
        assert "https://tiles.example.cn" in img_src and "script-src:" not in img_src and "示例" not in img_src
    office.cache.clear()
