"""The 操作日志: newest first, filtered by entity, actor and city days, paged by cursor."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.users.roles import Role
from tests.conftest import login, make_user


def test_filters_and_pages(client, db, admin):
    h = admin["h"]
    other = make_user(db, Role.admin, username="deputy")
    h2 = login(client, other)
    ids = [client.post("/api/admin/units", headers=h, json={"name": f"单位{i}"}).json()["id"] for i in range(3)]
    client.patch(f"/api/admin/units/{ids[0]}", headers=h2, json={"name": "改名"})
    page = client.get("/api/admin/audit", headers=h).json()
    assert [(e["action"], e["actor_name"]) for e in page["items"]] == [
        ("unit.update", "deputy"), ("unit.create", "boss"), ("unit.create", "boss"), ("unit.create", "boss")]
    assert page["next_cursor"] is None
    by_entity = client.get("/api/admin/audit", headers=h, params={"entity_type": "unit", "entity_id": ids[0]}).json()
    assert [e["action"] for e in by_entity["items"]] == ["unit.update", "unit.create"]
    assert by_entity["items"][0]["before"]["name"] == "单位0" and by_entity["items"][0]["after"]["name"] == "改名"
    by_actor = client.get("/api/admin/audit", headers=h, params={"actor_id": other.id}).json()
    assert [e["entity_id"] for e in by_actor["items"]] == [str(ids[0])]
    assert client.get("/api/admin/audit", headers=h, params={"entity_type": "user"}).json()["items"] == []
    # Two at a time: every row once, in order.
    seen, cursor = [], None
    while True:
        p = client.get("/api/admin/audit", headers=h, params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        seen += [e["id"] for e in p.json()["items"]]
        if not (cursor := p.json()["next_cursor"]):
            break
    assert seen == [e["id"] for e in page["items"]]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert len(client.get("/api/admin/audit", headers=h, params={"since": str(today)}).json()["items"]) == 4
    yesterday = str(today - timedelta(days=1))
    assert client.get("/api/admin/audit", headers=h, params={"until": yesterday}).json()["items"] == []


def test_bad_filters_are_422(client, db, admin):
    h = admin["h"]
    for params in ({"cursor": "nonsense"}, {"since": "2026-12-05", "until": "2026-12-01"}, {"limit": 0},
                   {"limit": 201}, {"entity_type": "ticket"}, {"since": "yesterday"}, {"actor_id": 0},
                   # NUL, which PostgreSQL cannot compare; days whose midnight is out of datetime's range
                   {"entity_id": "ab\x00cd"}, {"since": "0001-01-01"}, {"until": "9999-12-31"}):
        r = client.get("/api/admin/audit", headers=h, params=params)
        assert r.status_code == 422, (params, r.text)
        assert "error" in r.json()
