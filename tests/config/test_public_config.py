"""GET /api/config: the deployment's map tiles, coordinate system and whether demo logins exist."""

import pytest
from argon2 import PasswordHasher

from app.config import service as config_service
from app.core.config import Settings, get_settings
from app.users.models import User
from app.users.roles import Role


@pytest.fixture(autouse=True)
def _fresh_demo_cache():
    config_service.demo_logins.cache_clear()
    yield
    config_service.demo_logins.cache_clear()


def _settings(monkeypatch, **env):
    for k, v in env.items():
        monkeypatch.setenv(f"XUNCHA_{k}", v)
    s = Settings()
    for field in ("map_tile_url", "map_tile_subdomains", "map_crs", "map_attribution", "tianditu_key", "demo_data"):
        monkeypatch.setattr(get_settings(), field, getattr(s, field))
    return s


def test_default_is_a_china_reachable_gcj02_provider_without_a_key(client, monkeypatch):
    _settings(monkeypatch)
    r = client.get("/api/config")  # public: the login page needs it before anyone logs in
    assert r.status_code == 200
    m = r.json()["map"]
    assert m["crs"] == "gcj02"
    assert len(m["layers"]) == 1 and "autonavi.com" in m["layers"][0]["url"]
    assert m["layers"][0]["subdomains"] == "1234"
    assert "openstreetmap" not in r.text
    assert get_settings().map_tile_hosts == [f"https://webrd0{i}.is.autonavi.com" for i in "1234"]


def test_tianditu_with_a_key_is_wgs84_with_a_label_layer(client, monkeypatch):
    _settings(monkeypatch, TIANDITU_KEY="abc123browserkey")
    m = client.get("/api/config").json()["map"]
    assert m["crs"] == "wgs84"
    urls = [layer["url"] for layer in m["layers"]]
    assert "vec_w" in urls[0] and "cva_w" in urls[1] and all("tk=abc123browserkey" in u for u in urls)
    assert "天地图" in m["attribution"]
    assert "https://t0.tianditu.gov.cn" in get_settings().map_tile_hosts


def test_explicit_tiles_and_crs(client, monkeypatch):
    _settings(monkeypatch, MAP_TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png https://labels.example.cn/{z}/{x}/{y}.png",
              MAP_CRS="wgs84", MAP_ATTRIBUTION="© 本市测绘院")
    m = client.get("/api/config").json()["map"]
    assert [layer["url"] for layer in m["layers"]] == ["https://tiles.example.cn/{z}/{x}/{y}.png",
                                                       "https://labels.example.cn/{z}/{x}/{y}.png"]
    assert m["crs"] == "wgs84" and m["attribution"] == "© 本市测绘院"
    assert get_settings().map_tile_hosts == ["https://tiles.example.cn", "https://labels.example.cn"]


def test_tiles_can_be_switched_off(client, monkeypatch):
    _settings(monkeypatch, MAP_TILE_URL="none")
    assert client.get("/api/config").json()["map"]["layers"] == []
    assert get_settings().map_tile_hosts == []


def test_bad_map_settings_are_refused_at_start(monkeypatch):
    monkeypatch.setenv("XUNCHA_MAP_CRS", "bd09")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.delenv("XUNCHA_MAP_CRS")
    monkeypatch.setenv("XUNCHA_MAP_TILE_URL", "javascript:alert(1)")
    with pytest.raises(ValueError):
        Settings()


def test_demo_hint_only_when_demo_logins_work(client, db, monkeypatch):
    _settings(monkeypatch)
    assert client.get("/api/config").json()["demo_logins"] is False  # no users at all
    demo = User(username="inspector", display_name="演示", role=Role.inspector,
                password_hash=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("demo1234"))
    db.add(demo)
    db.commit()
    config_service.demo_logins.cache_clear()
    assert client.get("/api/config").json()["demo_logins"] is True
    # The admin changed the password: the hint would be a lie.
    demo.password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("real-secret-9")
    db.add(demo)
    db.commit()
    config_service.demo_logins.cache_clear()
    assert client.get("/api/config").json()["demo_logins"] is False


def test_demo_hint_off_when_demo_data_is_off(client, db, monkeypatch):
    _settings(monkeypatch, DEMO_DATA="0")
    db.add(User(username="inspector", display_name="演示", role=Role.inspector,
                password_hash=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("demo1234")))
    db.commit()
    assert client.get("/api/config").json()["demo_logins"] is False


def test_the_city_s_time_zone_centre_deadline_rules_and_lists(client, monkeypatch):
    _settings(monkeypatch)
    c = client.get("/api/config").json()
    assert c["time_zone"] == {"name": "Asia/Shanghai", "utc_offset_minutes": 480}
    assert c["map"]["centre"] == {"lat": 30.2741, "lng": 120.1551}
    assert c["deadlines"] == {"default_hours": get_settings().default_deadline_hours, "clock_hours_up_to": 24,
                              "working_day_hours": 8}
    assert c["statuses"] == ["reported", "dispatched", "rectified", "closed", "cancelled", "suspended", "voided"]
    assert c["roles"] == [r.value for r in Role]
    assert c["unit_kinds"] == ["district", "department", "street", "company"]
    assert c["eval_checkin_distance_m"] == get_settings().eval_checkin_distance_m == 200


def test_each_action_s_inputs_are_what_the_api_enforces(client, db):
    """What /api/config says an action requires is what the API refuses without it (422)."""
    from tests.conftest import action, login, make_unit, make_user, report, upload_photo

    actions = {a["action"]: a for a in client.get("/api/config").json()["actions"]}
    assert actions["verify_fail"]["required"] == ["note"] and actions["verify_fail"]["fixed"] == {"passed": False}
    assert actions["rectify"]["required"] == ["note"] and actions["rectify"]["photos_min"] == 1
    assert actions["dispatch"]["required"] == ["unit_id"] and "deadline" in actions["dispatch"]["optional"]
    assert actions["report"]["path"] == "" and actions["report"]["photos_min"] == 1
    assert actions["verify_pass"]["required"] == [] and actions["verify_pass"]["optional"] == ["note"]

    unit = make_unit(db, "市城市管理局")
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    tid = report(client, inspector)["id"]
    assert action(client, dispatcher, tid, "dispatch").status_code == 422  # unit_id missing
    assert action(client, dispatcher, tid, "dispatch", unit_id=unit.id).status_code == 200
    photo = upload_photo(client, staff)["id"]
    assert action(client, staff, tid, "rectify", note="已清理").status_code == 422  # no photo
    assert action(client, staff, tid, "rectify", note="已清理", photo_ids=[photo]).status_code == 200
    assert action(client, inspector, tid, "verify", passed=False).status_code == 422  # no reason
    assert action(client, inspector, tid, "verify", passed=False, note="仍有残留").status_code == 200
