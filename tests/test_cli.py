"""The admin CLI: a real deployment creates its units, users and grids without demo data."""

import json

from sqlmodel import func, select

from app import cli
from app.audit.models import AuditLog
from app.units.models import Grid

SQUARE = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.27], [120.16, 30.28],
                                              [120.15, 30.28], [120.15, 30.27]]]}


def _login(client, username, password):
    return client.post("/api/auth/token", data={"username": username, "password": password})


def test_units_users_passwords(client, db, monkeypatch, capsys):
    monkeypatch.setenv("XUNCHA_PASSWORD", "first-pass-123")
    assert cli.main(["create-unit", "东城区人民政府", "--kind", "district"]) == 0
    assert cli.main(["create-unit", "向阳街道办事处", "--kind", "street", "--parent", "东城区人民政府"]) == 0
    assert cli.main(["create-unit", "向阳街道办事处"]) == 2  # exists
    assert cli.main(["create-unit", "某街道", "--parent", "不存在"]) == 2
    assert cli.main(["create-user", "boss", "--role", "admin", "--name", "管理员"]) == 0
    assert cli.main(["create-user", "xy", "--role", "unit_staff", "--unit", "向阳街道办事处"]) == 0
    assert cli.main(["create-user", "nounit", "--role", "unit_staff"]) == 2
    assert cli.main(["create-user", "odd", "--role", "inspector", "--unit", "向阳街道办事处"]) == 2
    assert cli.main(["create-user", "boss", "--role", "admin"]) == 2  # exists
    monkeypatch.setenv("XUNCHA_PASSWORD", "short")
    assert cli.main(["create-user", "weak", "--role", "inspector"]) == 2
    assert "at least 8" in capsys.readouterr().err

    r = _login(client, "xy", "first-pass-123")
    assert r.status_code == 200 and r.json()["user"]["unit_name"] == "向阳街道办事处"
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    monkeypatch.setenv("XUNCHA_PASSWORD", "second-pass-456")
    assert cli.main(["set-password", "xy"]) == 0
    assert client.get("/api/me", headers=token).status_code == 401  # old tokens revoked
    assert _login(client, "xy", "first-pass-123").status_code == 401
    assert _login(client, "xy", "second-pass-456").status_code == 200
    token = {"Authorization": f"Bearer {_login(client, 'xy', 'second-pass-456').json()['access_token']}"}
    assert cli.main(["revoke-tokens", "xy"]) == 0
    assert "2 tokens revoked" in capsys.readouterr().out  # the login checked above, and this one
    assert client.get("/api/me", headers=token).status_code == 401
    assert cli.main(["deactivate", "xy"]) == 0
    assert _login(client, "xy", "second-pass-456").status_code == 401
    assert cli.main(["reactivate", "xy"]) == 0
    assert _login(client, "xy", "second-pass-456").status_code == 200
    assert cli.main(["deactivate", "xy"]) == 0
    assert cli.main(["deactivate", "nobody"]) == 2
    assert cli.main(["reactivate", "XY"]) == 0  # a username in any case, as the login takes it
    assert _login(client, "xy", "second-pass-456").status_code == 200
    assert cli.main(["deactivate", "Xy"]) == 0
    # The CLI runs the admin API's service functions: the same rules, the same audit trail.
    monkeypatch.setenv("XUNCHA_PASSWORD", "12345678")
    assert cli.main(["create-user", "digits", "--role", "inspector"]) == 2
    assert "not only digits" in capsys.readouterr().err
    db.expire_all()
    trail = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [r.action for r in trail] == ["unit.create", "unit.create", "user.create", "user.create",
                                         "user.reset_password", "user.revoke_tokens", "user.deactivate",
                                         "user.reactivate", "user.deactivate", "user.reactivate",
                                         "user.deactivate"]
    assert {r.actor_name.split(":")[0] for r in trail} == {"cli"} and {r.actor_id for r in trail} == {None}


def test_import_grids_routes_reports(client, db, tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_PASSWORD", "insp-pass-123")
    cli.main(["create-unit", "向阳街道办事处", "--kind", "street"])
    cli.main(["create-user", "insp", "--role", "inspector"])
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "一", "unit": "向阳街道办事处"}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"name": "二", "unit": "没有这个单位"}, "geometry": SQUARE}]}))
    assert cli.main(["import-grids", str(bad)]) == 2
    db.rollback()
    assert db.exec(select(func.count()).select_from(Grid)).one() == 0  # all or nothing
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "第一网格", "unit": "向阳街道办事处"}, "geometry": SQUARE}]}))
    assert cli.main(["import-grids", str(good)]) == 0
    assert cli.main(["import-grids", str(tmp_path / "missing.geojson")]) == 2

    from tests.conftest import report

    token = _login(client, "insp", "insp-pass-123").json()["access_token"]
    t = report(client, {"Authorization": f"Bearer {token}"}, lat=30.275, lng=120.155)
    assert t["suggested_unit_name"] == "向阳街道办事处"
