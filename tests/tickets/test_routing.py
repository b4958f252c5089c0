"""Routing by grid or category, EXIF fallbacks, list filters and pagination."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.categories.models import Category
from app.tickets.models import Ticket
from app.units import service as units_service
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, report_body, upload_photo
from tests.fixtures.images import make_jpeg

SQUARE = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.27], [120.16, 30.28],
                                              [120.15, 30.28], [120.15, 30.27]]]}


def test_grid_wins_then_category_default(client, db):
    street, bureau = make_unit(db, "向阳街道"), make_unit(db, "城管局")
    db.add(units_service.grid_from_geojson("第一网格", street.id, SQUARE))
    db.get(Category, "06").default_unit_id = bureau.id
    db.commit()
    headers = login(client, make_user(db, Role.inspector))
    inside = report(client, headers, lat=30.275, lng=120.155)
    outside = report(client, headers, lat=30.30, lng=120.20)
    assert inside["suggested_unit_name"] == "向阳街道"
    assert outside["suggested_unit_name"] == "城管局"  # 06010's class default
    # 向阳街道 returns it as not theirs and the office agrees: it is no longer suggested for the re-dispatch.
    office, staff = login(client, make_user(db, Role.dispatcher)), login(client, make_user(db, Role.unit_staff, street))
    assert action(client, office, inside["id"], "dispatch", unit_id=street.id).status_code == 200
    asked = action(client, staff, inside["id"], "requests", kind="return", reason="不属于本单位")
    request_id = asked.json()["requests"][0]["id"]
    assert action(client, office, inside["id"], f"requests/{request_id}/decision", approve=True).status_code == 200
    back = client.get(f"/api/tickets/{inside['id']}", headers=office).json()
    assert (back["status"], back["suggested_unit_id"], back["suggested_unit_name"]) == ("reported", None, None)


def test_location_and_time_from_exif_when_the_phone_has_none(client, db):
    headers = login(client, make_user(db, Role.inspector))
    taken = datetime(2026, 11, 20, 9, 30)  # camera local time (Asia/Shanghai)
    photo = upload_photo(client, headers, make_jpeg(800, 600, lat=30.2811, lng=120.1234, taken_at=taken))
    assert abs(photo["exif_lat"] - 30.2811) < 1e-4 and abs(photo["exif_lng"] - 120.1234) < 1e-4
    body = report_body([photo["id"]])
    del body["lat"], body["lng"]
    r = client.post("/api/tickets", headers=headers, json=body)
    assert r.status_code == 201, r.text
    t = r.json()
    assert abs(t["lat"] - 30.2811) < 1e-4 and t["accuracy_m"] is None

    no_gps = upload_photo(client, headers, make_jpeg(800, 600))
    body = report_body([no_gps["id"]])
    del body["lat"], body["lng"]
    r = client.post("/api/tickets", headers=headers, json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "location_required"


def test_list_filters_and_cursor_pagination(client, db, monkeypatch):
    headers = login(client, make_user(db, Role.inspector))
    made = [report(client, headers, category_code=code, description=f"问题{i}", lat=30.27 + i * 0.01)
            for i, code in enumerate(["06010", "07001", "06012", "09006", "06010"])]
    seen, cursor = [], None
    while True:
        page = client.get("/api/tickets", headers=headers, params={"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [t["id"] for t in reversed(made)]  # newest first, each once

    def ids(**params):
        return {x["id"] for x in client.get("/api/tickets", headers=headers, params=params).json()["items"]}

    assert ids(category_code="06") == {made[0]["id"], made[2]["id"], made[4]["id"]}
    assert ids(category_code="07001") == {made[1]["id"]}
    assert ids(q="问题3") == {made[3]["id"]}
    assert ids(q=made[1]["case_number"]) == {made[1]["id"]}
    assert ids(q=made[1]["case_number"].lower()) == {made[1]["id"]}
    assert ids(q=made[1]["case_number"][:-1]) == {t["id"] for t in made}  # XC-2026-00000 → all five
    assert ids(q=made[1]["case_number"][-6:]) == {made[1]["id"]}  # digits only: free text
    assert ids(bbox="120.0,30.265,120.3,30.285") == {made[0]["id"], made[1]["id"]}
    assert ids(status="dispatched") == set()
    assert len(ids(status=["reported", "closed"])) == 5


def test_thumb_and_display_are_jpeg_without_metadata(client, db):
    from io import BytesIO

    from PIL import Image

    headers = login(client, make_user(db, Role.inspector))
    data = make_jpeg(2400, 1800, lat=30.27, lng=120.15, taken_at=datetime(2026, 11, 1, 8, 0))
    photo = upload_photo(client, headers, data)
    original = client.get(photo["urls"]["original"], headers=headers)
    assert original.content == data and original.headers["content-type"] == "image/jpeg"
    for variant, edge in (("display", 1600), ("thumb", 320)):
        r = client.get(photo["urls"][variant], headers=headers)
        im = Image.open(BytesIO(r.content))
        assert im.format == "JPEG" and max(im.size) <= edge
        assert not im.getexif() and "exif" not in im.info
    etag = original.headers["etag"]
    assert client.get(photo["urls"]["original"], headers=headers | {"If-None-Match": etag}).status_code == 304
    assert datetime.fromisoformat(photo["taken_at"]) == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert db.exec(select(Category)).first() is not None


def test_case_number_search_without_bytewise_collation(client, db, monkeypatch):
    """Under a linguistic collation the index range is skipped; the answers must not change."""
    from app.tickets import listing

    monkeypatch.setattr(listing, "text_search", lambda session: listing.TextSearch("postgresql", False))
    test_list_filters_and_cursor_pagination(client, db, monkeypatch)


def test_times_without_a_zone_are_city_time(client, db):
    """Phones often send local time without an offset: it is Asia/Shanghai time, never a 500."""
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers, make_jpeg(640, 480), captured_at="2026-11-20T10:00:00")
    r = client.post("/api/tickets", headers=headers,
                    json=report_body([photo["id"]], captured_at="2026-11-20T10:00:00"))
    assert r.status_code == 201, r.text

    db.rollback()
    assert db.get(Ticket, uuid.UUID(r.json()["id"])).captured_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    unit = make_unit(db)
    dispatcher = login(client, make_user(db, Role.dispatcher))
    local = (datetime.now(UTC) + timedelta(days=30)).replace(hour=18, minute=0, second=0, microsecond=0, tzinfo=None)
    d = action(client, dispatcher, r.json()["id"], "dispatch", unit_id=unit.id, deadline=local.isoformat())
    assert d.status_code == 200, d.text
    assert datetime.fromisoformat(d.json()["deadline_at"]) == (local - timedelta(hours=8)).replace(tzinfo=UTC)


def test_free_text_search(client, db):
    """Chinese substrings of any length, in description or address; % and _ are plain characters."""
    headers = login(client, make_user(db, Role.inspector))
    a = report(client, headers, description="路边垃圾桶满溢，垃圾散落地面", address="向阳路 12 号")
    b = report(client, headers, description="电线杆上张贴小广告 100%覆盖", address="朝阳街 3 号")
    c = report(client, headers, description="共享单车乱停放", address="新华路_东段")

    def ids(q):
        items = client.get("/api/tickets", headers=headers, params={"q": q}).json()["items"]
        return {x["id"] for x in items}

    assert ids("垃圾桶满溢") == {a["id"]}  # ≥ 3 characters: the trigram index
    assert ids("垃圾") == {a["id"]}  # 2 characters: a scan, same answer
    assert ids("小广告") == {b["id"]}
    assert ids("向阳路") == {a["id"]}  # address
    assert ids("100%") == {b["id"]}
    assert ids("%") == {b["id"]}
    assert ids("_") == {c["id"]}
    assert ids('"垃圾') == set()
    assert ids("不存在的问题") == set()
    assert ids(a["case_number"][-6:]) == {a["id"]}  # digits of a case number
