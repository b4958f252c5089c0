"""The site registry: CRUD with filters and paging, and imports from CSV, XLSX and GeoJSON, all or nothing."""

import io
import json
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from app import cli
from app.audit.models import AuditLog
from app.core.errors import Invalid
from app.evaluation.models import EvalSite
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user
from tests.evaluation.conftest import make_site

HEADER = ["点位编号", "名称", "类型", "经度", "纬度", "地址", "责任单位", "联系人", "电话"]


@pytest.fixture
def office(client, db):
    return login(client, make_user(db, Role.dispatcher))


def _count(db) -> int:
    db.rollback()  # a new snapshot
    return db.exec(select(func.count()).select_from(EvalSite)).one()


def _csv(rows: list[list], encoding: str = "utf-8") -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def _import(client, headers, name: str, data: bytes):
    return client.post("/api/evaluation/sites/import", headers=headers, files={"file": (name, data)})


def test_crud_filters_and_paging(client, db, office):
    a, b = make_unit(db, "甲街道"), make_unit(db, "乙街道")
    body = {"code": "S-1", "name": "东门菜市场", "site_type": "farmers_market", "lat": 30.27, "lng": 120.15,
            "address": "东门路 8 号", "unit_id": a.id, "contact_name": "张三", "contact_phone": "13800000000"}
    r = client.post("/api/evaluation/sites", headers=office, json=body)
    assert r.status_code == 201, r.text
    site = r.json()
    assert (site["unit_name"], site["active"], site["polygon"]) == ("甲街道", True, None)
    assert client.post("/api/evaluation/sites", headers=office, json=body).json()["error"]["code"] == "duplicate_code"
    deep = json.loads("[" * 900 + "]" * 900)  # deeper than Python recurses
    for bad, code in (({"site_type": "zoo"}, "unknown_site_type"), ({"unit_id": 999999}, "unknown_unit"),
                      ({"polygon": {"type": "Point", "coordinates": [1, 2]}}, "invalid_polygon"),
                      ({"polygon": {"type": "Point", "coordinates": [1]}}, "invalid_polygon"),
                      ({"polygon": {"type": "Polygon", "coordinates": [[1]]}}, "invalid_polygon"),
                      ({"polygon": {"type": "Polygon", "coordinates": deep}}, "invalid_polygon")):
        r = client.post("/api/evaluation/sites", headers=office, json=body | {"code": None} | bad)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code)
        # Said for a person: not numpy's "Input operand 0 does not have enough dimensions".
        assert "operand" not in r.json()["error"]["message"] and "dimension" not in r.json()["error"]["message"]
    make_site(db, a, "bus_stop", name="公交东站")
    make_site(db, b, "bus_stop", name="公交西站", active=False)
    make_site(db, b, "back_alley", name="百花巷", address="东门路旁")

    def names(**params):
        return [s["name"] for s in client.get("/api/evaluation/sites", headers=office, params=params).json()["items"]]

    assert names() == sorted(["东门菜市场", "公交东站", "公交西站", "百花巷"])
    assert names(site_type="bus_stop") == ["公交东站", "公交西站"]
    assert names(unit_id=b.id, active=True) == ["百花巷"]
    assert sorted(names(q="东门")) == ["东门菜市场", "百花巷"]  # name or address
    assert names(q="S-1") == ["东门菜市场"]
    assert names(q="%") == []  # a wildcard is a character
    for bad in ({"q": "东门\x00"}, {"site_type": "bus_stop\x00"}):  # NUL: PostgreSQL cannot compare it
        r = client.get("/api/evaluation/sites", headers=office, params=bad)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), bad
    page = client.get("/api/evaluation/sites", headers=office, params={"limit": 3, "offset": 3}).json()
    assert (page["total"], len(page["items"])) == (4, 1)

    r = client.patch(f"/api/evaluation/sites/{site['id']}", headers=office, json={"active": False, "unit_id": b.id})
    assert (r.json()["active"], r.json()["unit_name"]) == (False, "乙街道")
    assert client.patch(f"/api/evaluation/sites/{site['id']}", headers=office, json={"name": None}).status_code == 422
    assert client.delete(f"/api/evaluation/sites/{site['id']}", headers=office).status_code == 204
    assert client.get(f"/api/evaluation/sites/{site['id']}", headers=office).status_code == 404
    # Each change is in the 操作日志 (who, before → after); the refused ones wrote nothing.
    db.expire_all()
    rows = db.exec(select(AuditLog).where(AuditLog.entity_type == "site").order_by(AuditLog.id)).all()
    assert [(r.action, r.entity_id) for r in rows] == [("site.create", str(site["id"])), ("site.deactivate", str(site["id"])),
                                                       ("site.delete", str(site["id"]))]
    assert rows[0].before is None and rows[0].after["name"] == "东门菜市场"
    assert (rows[1].before["unit_id"], rows[1].after["unit_id"], rows[1].after["active"]) == (a.id, b.id, False)
    assert rows[2].before["code"] == "S-1" and rows[2].after is None
    assert {r.actor_name for r in rows} == {client.get("/api/me", headers=office).json()["username"]}


def test_a_polygon_keeps_its_type_and_rings_only(client, db, office):
    """Another member would be stored, audited and served as given (900 levels deep: a RecursionError)."""
    unit = make_unit(db, "甲街道")
    square = {"type": "Polygon", "coordinates": [[[120.1, 30.2], [120.2, 30.2], [120.2, 30.3], [120.1, 30.2]]]}
    junk = {"x": json.loads("[" * 900 + "]" * 900)}
    body = {"name": "东门菜市场", "site_type": "farmers_market", "lat": 30.27, "lng": 120.15, "unit_id": unit.id}
    r = client.post("/api/evaluation/sites", headers=office, json=body | {"polygon": square | junk})
    assert (r.status_code, r.json()["polygon"]) == (201, square), r.text
    r = client.patch(f"/api/evaluation/sites/{r.json()['id']}", headers=office, json={"polygon": square | junk})
    assert (r.status_code, r.json()["polygon"]) == (200, square), r.text


def test_units_see_their_own_sites_and_cannot_write(client, db):
    a, b = make_unit(db), make_unit(db)
    mine, theirs = make_site(db, a, name="甲的"), make_site(db, b, name="乙的")
    staff = login(client, make_user(db, Role.unit_staff, a))
    listed = client.get("/api/evaluation/sites", headers=staff).json()
    assert [s["name"] for s in listed["items"]] == ["甲的"] and listed["total"] == 1
    assert client.get(f"/api/evaluation/sites/{mine.id}", headers=staff).status_code == 200
    assert client.get(f"/api/evaluation/sites/{theirs.id}", headers=staff).status_code == 404
    assert client.patch(f"/api/evaluation/sites/{mine.id}", headers=staff, json={"name": "x"}).status_code == 403
    inspector = login(client, make_user(db, Role.inspector))
    assert client.get("/api/evaluation/sites", headers=inspector).json()["total"] == 0  # nothing assigned
    assert client.get(f"/api/evaluation/sites/{mine.id}", headers=inspector).status_code == 404


def test_csv_import_creates_then_updates_by_code(client, db, office):
    make_unit(db, "向阳街道办事处")
    make_unit(db, "市城市管理局")
    rows = [["FM-001", "向阳农贸市场", "农贸市场", 120.151, 30.271, "向阳路 1 号", "向阳街道办事处", "周主任", "0571-1"],
            ["BS-001", "人民路公交站", "bus_stop", 120.152, 30.272, "", "市城市管理局", "", ""],
            ["", "", "", "", "", "", "", "", ""],  # a blank line is skipped
            ["", "无编号小巷", "背街小巷", 120.153, 30.273, "", "向阳街道办事处", "", ""]]
    r = _import(client, office, "sites.csv", _csv(rows))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 3, "updated": 0, "total": 3}
    rows[0][1] = "向阳农贸市场（新）"
    r = _import(client, office, "sites.csv", _csv(rows[:2], "gb18030"))  # Excel's GBK CSV reads too
    assert r.json() == {"created": 0, "updated": 2, "total": 2}
    assert _count(db) == 3
    site = db.exec(select(EvalSite).where(EvalSite.code == "FM-001")).one()
    assert (site.name, site.site_type, site.lat, site.lng, site.contact_name) == (
        "向阳农贸市场（新）", "farmers_market", 30.271, 120.151, "周主任")


def test_a_bad_row_imports_nothing_and_reports_every_error(client, db, office):
    make_unit(db, "向阳街道办事处")
    rows = [["A-1", "好的", "bus_stop", 120.1, 30.2, "", "向阳街道办事处", "", ""],
            ["A-2", "", "动物园", "东经", 95, "", "不存在的单位", "", ""],
            ["A-1", "重复", "bus_stop", 120.1, 30.2, "", "向阳街道办事处", "", ""]]
    r = _import(client, office, "sites.csv", _csv(rows))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "import_failed"
    # Row numbers count the header as row 1.
    assert [(e["row"], e["column"]) for e in err["details"]] == [
        (3, "名称"), (3, "类型"), (3, "责任单位"), (3, "纬度"), (3, "经度"), (4, "点位编号")]
    assert _count(db) == 0


def test_xlsx_import(client, db, office):
    make_unit(db, "向阳街道办事处")
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([1001, "学校周边 一", "学校（校园）周边", 120.16, 30.28, "学府路", "向阳街道办事处", "李老师", 13900000000])
    sheet.append([1002, "学校周边 二", "school_surroundings", 120.17, 30.29, None, "向阳街道办事处", None, None])
    buf = io.BytesIO()
    book.save(buf)
    r = _import(client, office, "点位.xlsx", buf.getvalue())
    assert r.json() == {"created": 2, "updated": 0, "total": 2}, r.text
    site = db.exec(select(EvalSite).where(EvalSite.code == "1001")).one()  # a numeric cell reads as "1001"
    assert (site.site_type, site.contact_phone, site.address) == ("school_surroundings", "13900000000", "学府路")
    r = _import(client, office, "broken.xlsx", b"PK\x03\x04 not really a zip")
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unreadable_import")


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _rezip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The xlsx with members replaced or added (None: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in dict.fromkeys(src.namelist() + list(changes)):
            body = changes[name] if name in changes else src.read(name)
            if body is not None:
                dst.writestr(name, body)
    return out.getvalue()


def test_a_damaged_or_swollen_file_is_a_clear_4xx_never_a_500(client, db, office):
    """What an attacker (or a broken export) sends: each answered 422 unreadable_import or 413, nothing written,
    quickly."""
    good = _workbook([HEADER, ["S-1", "站", "bus_stop", 120.1, 30.1, "", "某单位", "", ""]])
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        xml = z.read(sheet)
    cases = {
        "truncated sheet XML": ("s.xlsx", _rezip(good, {sheet: xml[:-40]})),
        "no worksheet": ("s.xlsx", _rezip(good, {sheet: None})),
        "a number cell holding text": ("s.xlsx", _rezip(good, {sheet: xml.replace(b"<v>120.1</v>", b"<v>abc</v>")})),
        "malformed workbook.xml": ("s.xlsx", _rezip(good, {"xl/workbook.xml": b"<workbook"})),
        "a CSV field over csv's limit": ("s.csv", ("名称,类型\n" + "x" * 200_000 + ",bus_stop\n").encode()),
        "an integer of 5,000 digits": ("s.geojson", b'{"type": "FeatureCollection", "features": [' + b"9" * 5000 + b"]}"),
        "JSON nested 5,000 deep": ("s.geojson", b"[" * 5000 + b"]" * 5000),
    }
    for what, (name, data) in cases.items():
        r = _import(client, office, name, data)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "unreadable_import"), (what, r.text)
    # Shared strings that unpack to 17 MB from a 40 KB file (openpyxl reads them all as it opens the workbook:
    # 12 s of CPU), and 400,000 of them in 6.8 MB (within the size, over the count): refused before it does.
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        types, rels = z.read("[Content_Types].xml"), z.read("xl/_rels/workbook.xml.rels")
    registered = {
        "[Content_Types].xml": types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                             b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                             b'sharedStrings+xml"/></Types>'),
        "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://'
                                                   b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                                   b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')}
    for count in (1_000_000, 400_000):
        strings = b"<sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>" + \
            b"<si><t>a</t></si>" * count + b"</sst>"
        bomb = _rezip(good, registered | {"xl/sharedStrings.xml": strings})
        assert len(bomb) < 100_000
        started = time.monotonic()
        r = _import(client, office, "s.xlsx", bomb)
        assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large"), r.text
        assert time.monotonic() - started < 2
    # A Polygon ring with a NaN vertex (GEOS cannot close it): that feature's geometry error, not a 500.
    nan_ring = {"type": "Polygon", "coordinates": [[[float("nan"), 1], [1, 2], [2, 2], [float("nan"), 1]]]}
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": nan_ring, "properties": {
        "名称": "小区", "类型": "bus_stop", "责任单位": "某单位"}}]}
    r = _import(client, office, "s.geojson", json.dumps(doc).encode())  # json.dumps writes NaN, as Python reads it
    assert r.status_code == 422 and ("geometry" in {e["column"] for e in r.json()["error"]["details"]}), r.text
    assert _count(db) == 0
    # The good workbook itself imports (the cases above differ from it by what they break).
    make_unit(db, "某单位")
    assert _import(client, office, "s.xlsx", good).json()["created"] == 1


def test_geojson_import_points_and_polygon_centroids(client, db, office):
    make_unit(db, "新华街道办事处")
    square = [[[120.0, 30.0], [120.2, 30.0], [120.2, 30.2], [120.0, 30.2], [120.0, 30.0]]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.15, 30.25]},
         "properties": {"点位编号": "P-1", "名称": "广场", "类型": "public_square_park", "责任单位": "新华街道办事处"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
         "properties": {"点位编号": "P-2", "名称": "小区", "类型": "居民小区", "责任单位": "新华街道办事处"}},
    ]}
    r = _import(client, office, "sites.geojson", json.dumps(doc).encode())
    assert r.json() == {"created": 2, "updated": 0, "total": 2}, r.text
    poly = db.exec(select(EvalSite).where(EvalSite.code == "P-2")).one()
    # The square's centroid is its middle: (30.1, 120.1).
    assert (round(poly.lat, 6), round(poly.lng, 6), poly.polygon["type"]) == (30.1, 120.1, "Polygon")
    doc["features"].append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
                            "properties": {"名称": "线", "类型": "bus_stop", "责任单位": "新华街道办事处"}})
    r = _import(client, office, "sites.geojson", json.dumps(doc).encode())
    assert [(e["row"], e["column"]) for e in r.json()["error"]["details"]] == [(3, "geometry")]
    assert _count(db) == 2
    # JSON can carry what no database stores (NUL; an unpaired surrogate, which json.dumps escapes as \ud800).
    point = {"type": "Point", "coordinates": [120.15, 30.25]}
    doc["features"] = [
        {"type": "Feature", "geometry": point, "properties": {"名称": "广\x00场", "类型": "bus_stop", "责任单位": "新华街道办事处"}},
        {"type": "Feature", "geometry": point, "properties": {"名称": "站", "类型": "bus_stop", "责任单位": "新华街道办事处",
                                                              "地址": "\ud800", "联系人": "张\x01"}},
        {"type": "Feature", "geometry": point, "properties": {"名称": "站", "类型": "bus_stop", "责任单位": "\ud800"}}]
    r = _import(client, office, "sites.geojson", json.dumps(doc).encode())
    assert r.status_code == 422, r.text
    assert [(e["row"], e["column"]) for e in r.json()["error"]["details"]] == [
        (1, "名称"), (2, "地址"), (2, "联系人"), (3, "责任单位"), (3, "责任单位")]  # and unknown, quoting it
    assert _count(db) == 2


def test_import_limits_and_formats(client, db, office, monkeypatch):
    r = _import(client, office, "sites.txt", b"x")
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unsupported_format")
    r = _import(client, office, "sites.csv", b"foo,bar\n1,2\n")
    assert r.json()["error"]["code"] == "unreadable_import"  # no 名称 column
    from app.evaluation import imports
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    r = _import(client, office, "sites.csv", _csv([["x"] * 9] * 10))
    assert r.status_code == 413
    monkeypatch.setattr(imports, "MAX_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    r = _import(client, office, "sites.csv", _csv([["", "n", "bus_stop", 1, 1, "", "u", "", ""]] * 3))
    assert r.json()["error"]["code"] == "too_many_rows"
    staff = login(client, make_user(db, Role.inspector))
    assert _import(client, staff, "sites.csv", _csv([])).status_code == 403


def test_cli_imports_with_the_same_rules(db, tmp_path, capsys):
    make_unit(db, "向阳街道办事处")
    good = tmp_path / "sites.csv"
    good.write_bytes(_csv([["C-1", "菜场", "农贸市场", 120.1, 30.2, "", "向阳街道办事处", "", ""]]))
    assert cli.main(["import-sites", str(good)]) == 0
    assert "1 sites created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([["C-2", "菜场", "农贸市场", 120.1, 30.2, "", "没有这个单位", "", ""]]))
    assert cli.main(["import-sites", str(bad)]) == 2
    assert "row 2 责任单位" in capsys.readouterr().err
    assert cli.main(["seed-checklists"]) == 0
    assert "9 checklists seeded" in capsys.readouterr().out
    assert _count(db) == 1


def _sites(db) -> int:
    """The sites now, without ending the test session's transaction: a rollback there would undo what the app
    wrote since the session's first read (all join one outer transaction with SAVEPOINTs)."""
    return db.exec(select(func.count()).select_from(EvalSite)).one()


def _quoted_csv(rows: list[list]) -> bytes:
    import csv
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    return buf.getvalue().encode()


def test_a_site_s_name_code_and_contact_are_one_line_but_its_address_may_not_be(client, db, office):
    unit = make_unit(db, "向阳街道办事处")
    body = {"name": "东门菜市场", "site_type": "farmers_market", "lat": 30.27, "lng": 120.15, "unit_id": unit.id}
    for bad in ({"name": "东门\n菜市场"}, {"name": "东门\r菜市场"}, {"name": "东门\t菜市场"},
                {"name": "东门\u2028菜市场"}, {"code": "S-\r\n1"}, {"contact_name": "张\n三"},
                {"contact_phone": "138\t0000"}):
        r = client.post("/api/evaluation/sites", headers=office, json=body | bad)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), (bad, r.text)
    assert _sites(db) == 0
    r = client.post("/api/evaluation/sites", headers=office, json=body | {"address": "东门路 8 号\n（菜场北门）"})
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["address"] == "东门路 8 号\n（菜场北门）"  # free text keeps its line breaks
    for bad in ({"name": "东门\n菜市场"}, {"name": "东门\u2029菜市场"}, {"code": "S\t1"}):
        r = client.patch(f"/api/evaluation/sites/{site['id']}", headers=office, json=bad)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), (bad, r.text)
    db.expire_all()
    assert (db.get(EvalSite, site["id"]).name, db.get(EvalSite, site["id"]).code) == ("东门菜市场", None)

    # An import row whose name spans lines (a quoted CSV cell, an Excel Alt+Enter) is named; nothing is imported.
    rows = [["A-1", "好的", "bus_stop", 120.1, 30.2, "南门\n旁", "向阳街道办事处", "", ""],
            ["A-2", "人民路\r\n公交站", "bus_stop", 120.1, 30.2, "", "向阳街道办事处", "", ""],
            ["A-3", "站", "bus_stop", 120.1, 30.2, "", "向阳街道办事处", "张\t三", ""]]
    r = _import(client, office, "sites.csv", _quoted_csv(rows))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "import_failed"
    assert [(e["row"], e["column"]) for e in r.json()["error"]["details"]] == [(3, "名称"), (4, "联系人")]
    assert "single line" in r.json()["error"]["details"][0]["message"]
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["A-4", "学校\n周边", "bus_stop", 120.1, 30.2, "", "向阳街道办事处", "", ""])
    buf = io.BytesIO()
    book.save(buf)
    r = _import(client, office, "点位.xlsx", buf.getvalue())
    assert [(e["row"], e["column"]) for e in r.json()["error"]["details"]] == [(2, "名称")], r.text
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "Point", "coordinates": [120.15, 30.25]}, "properties": {"名称": "广\u2028场", "类型": "bus_stop",
                                                                        "责任单位": "向阳街道办事处"}}]}
    r = _import(client, office, "sites.geojson", json.dumps(doc).encode())
    assert [(e["row"], e["column"]) for e in r.json()["error"]["details"]] == [(1, "名称")], r.text
    assert _sites(db) == 1
    # The same rows without the line breaks in their names import.
    rows[1][1], rows[2][7] = "人民路公交站", "张三"
    assert _import(client, office, "sites.csv", _quoted_csv(rows)).json()["created"] == 3


def test_import_numbers_are_plain_ascii_decimals(client, db, office):
    """float() takes 1_0, 1e2, nan, infinity and other scripts' digits: a sheet's number must be a plain decimal,
    and anything else is an error naming its row and column, with nothing imported."""
    make_unit(db, "向阳街道办事处")

    def row(lng, lat, code):
        return [code, f"站{code}", "bus_stop", lng, lat, "", "向阳街道办事处", "", ""]

    good = [row("120.15", "30.2", "G-1"), row("+120.", "30", "G-2"), row(" 120.15 ", ".5", "G-3"),
            row("-0.5", "-30.25", "G-4")]
    bad = [row("1_20.15", "30.2", "B-1"), row("１２０.１５", "30.2", "B-2"), row("120.15", "٣٠", "B-3"),
           row("1.2e2", "30.2", "B-4"), row("120.15", "nan", "B-5"), row("infinity", "30.2", "B-6"),
           row("0x78", "30.2", "B-7"), row("120,15", "30.2", "B-8"), row("120.15", "3 0", "B-9")]
    r = _import(client, office, "sites.csv", _quoted_csv(good + bad))
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    assert [(e["row"], e["column"]) for e in details] == [
        (6, "经度"), (7, "经度"), (8, "纬度"), (9, "经度"), (10, "纬度"), (11, "经度"), (12, "经度"), (13, "经度"),
        (14, "纬度")]
    assert "ASCII digits" in details[1]["message"] and "全角" in details[1]["message"]  # refused, not converted
    assert "ASCII digits" in details[2]["message"]
    assert _sites(db) == 0
    r = _import(client, office, "sites.csv", _quoted_csv(good))
    assert r.json() == {"created": 4, "updated": 0, "total": 4}, r.text
    assert [(s.lng, s.lat) for s in db.exec(select(EvalSite).order_by(EvalSite.code)).all()] == [
        (120.15, 30.2), (120.0, 30.0), (120.15, 0.5), (-0.5, -30.25)]
    # A GeoJSON coordinate is a JSON number: a tiny one (which Python prints as 1e-05) still reads.
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "Point", "coordinates": [1e-05, 30.25]}, "properties": {"名称": "零度站", "类型": "bus_stop",
                                                                       "责任单位": "向阳街道办事处"}}]}
    assert _import(client, office, "sites.geojson", json.dumps(doc).encode()).json()["created"] == 1
    assert db.exec(select(EvalSite.lng).where(EvalSite.name == "零度站")).one() == 1e-05


@pytest.mark.parametrize("name,data", [
    ("sites.csv", ("名称\n" + "x\n" * 2_600_000).encode()),  # 5 MB of one-letter rows
    ("sites.geojson", ('{"type":"FeatureCollection","features":[' + ",".join(["{}"] * 1_700_000) + "]}").encode()),
])
def test_an_import_past_the_row_limit_is_refused_before_it_is_held(name, data):
    """Refused at the first row past the limit: read whole, these 5 MB held 1.2 GB / 830 MB for 9 / 6 s."""
    import tracemalloc

    from app.evaluation import imports
    assert len(data) <= imports.MAX_BYTES
    tracemalloc.start()
    try:
        with pytest.raises(Invalid) as err:
            imports.parse(name, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.code == "too_many_rows"
    assert peak < 64 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
