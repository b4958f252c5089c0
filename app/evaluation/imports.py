"""Reading a site sheet (CSV or XLSX) or a GeoJSON file into plain rows (pure: no database).

Columns are named by Chinese headers (点位编号, 名称, 类型, 经度, 纬度, 地址, 责任单位, 联系人, 电话) or their
English keys; GeoJSON features carry the same names as properties, and a Point or a Polygon (whose centroid
is the site's point). Anything unreadable as a whole is 422 unreadable_import; rows are checked later, each.
"""

import csv
import io
import json
import math
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shapely.errors import GEOSException
from shapely.geometry import shape

from app.core.errors import Invalid, TooLarge

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# An xlsx is a zip: what it unpacks to is what openpyxl parses (all of sharedStrings.xml at once, before any
# row is read). A sheet of MAX_ROWS rows of 9 Chinese columns unpacks to 3.7 MB; a 46 KB file unpacking to
# 17 MB of shared strings cost 12 s of CPU and 90 MB.
MAX_XLSX_UNPACKED = 12 * 1024 * 1024
MAX_XLSX_MEMBERS = 200
# What openpyxl's time goes by: ~0.6 s per MB of tiny shared strings, ~0.2 s per MB of cells (2 cores, loaded).
# Both counted in the unpacked bytes before it opens the file: room for a sheet of MAX_ROWS rows of 60 columns
# (30 are read), each cell a text of its own (Excel keeps texts as shared strings): ~3 s at most.
MAX_XLSX_STRINGS = MAX_XLSX_CELLS = MAX_ROWS * 60

HEADERS = {  # header or property → field
    "点位编号": "code", "编号": "code", "code": "code",
    "名称": "name", "点位名称": "name", "name": "name",
    "类型": "site_type", "点位类型": "site_type", "type": "site_type", "site_type": "site_type",
    "经度": "lng", "lng": "lng", "lon": "lng", "longitude": "lng",
    "纬度": "lat", "lat": "lat", "latitude": "lat",
    "地址": "address", "address": "address",
    "责任单位": "unit", "包保单位": "unit", "unit": "unit",
    "联系人": "contact_name", "contact_name": "contact_name", "contact": "contact_name",
    "电话": "contact_phone", "联系电话": "contact_phone", "phone": "contact_phone", "contact_phone": "contact_phone",
}


@dataclass
class RawRow:
    row: int  # sheet row number (header = 1) or feature number (from 1)
    values: dict[str, str] = field(default_factory=dict)  # field → stripped text
    lat: float | None = None  # from a GeoJSON geometry
    lng: float | None = None
    polygon: dict | None = None
    geometry_error: str | None = None  # a GeoJSON feature whose geometry is unusable


def _unreadable(message: str) -> Invalid:
    return Invalid(f"无法读取导入文件：{message} Cannot read the import file: {message}", code="unreadable_import")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # Excel keeps 点位编号 001 → 1.0; a code typed as a number reads back as "1"
    if isinstance(value, float) and math.isfinite(value):
        return format(Decimal(repr(value)), "f")  # a number cell or property as a plain decimal, never 1e-05
    return str(value).strip()


def _too_many_rows() -> Invalid:
    return Invalid(f"一次最多导入 {MAX_ROWS} 行 At most {MAX_ROWS} rows per import", code="too_many_rows")


def _rows_from_table(table: Iterable[Sequence]) -> list[RawRow]:
    """The rows of a table whose first row is the header, read one by one: refused at the first row past
    MAX_ROWS (5 MB of one-letter CSV lines are 2.6 million rows: 1.2 GB held as lists before any count)."""
    lines = iter(table)
    first = next(lines, None)
    if first is None:
        raise _unreadable("文件为空 the file is empty")
    header = [HEADERS.get(_text(h).lower()) or HEADERS.get(_text(h)) for h in first]
    if "name" not in header:
        raise _unreadable("缺少表头“名称” no 名称 (name) column in the first row")
    rows = []
    for i, cells in enumerate(lines, start=2):
        values = {key: _text(cell) for key, cell in zip(header, cells, strict=False) if key}
        if any(values.values()):  # blank lines are skipped
            if len(rows) == MAX_ROWS:
                raise _too_many_rows()
            rows.append(RawRow(row=i, values=values))
    return rows


def _csv(data: bytes) -> list[RawRow]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable("编码无法识别 not UTF-8 or GBK text")
    if "\x00" in text:
        raise _unreadable("不是文本文件 not a text file")
    try:
        return _rows_from_table(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # a field over csv's limit (128 K characters), a stray NUL
        raise _unreadable(f"CSV 格式错误 malformed CSV ({exc})") from exc


# What a damaged workbook raises from openpyxl, its zip and its XML parsers (ElementTree's and lxml's ParseError
# are SyntaxErrors), while opening or while reading rows.
_BROKEN_XLSX = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, KeyError, IndexError, ValueError,
                TypeError, AttributeError, SyntaxError, OSError)


def _check_unpacked_size(data: bytes) -> None:
    limit = MAX_XLSX_UNPACKED // 1024 // 1024
    too_large = TooLarge(MAX_XLSX_UNPACKED, f"xlsx 解压后超过 {limit} MB 或单元格过多，请另存为 CSV 后导入 "
                                            "The workbook unpacks too large: save it as CSV and import that")
    strings = cells = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            # The sizes a zip declares are what zipfile lets a member unpack to (it stops one that runs over).
            if len(members) > MAX_XLSX_MEMBERS or sum(m.file_size for m in members) > MAX_XLSX_UNPACKED:
                raise too_large
            for member in members:  # every part: the shared strings may be named anything the rels point to
                xml = archive.read(member)
                strings += xml.count(b"<si>") + xml.count(b"<si ")
                cells += xml.count(b"<c ") + xml.count(b"<c>")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise _unreadable("不是有效的 xlsx 文件 not a valid xlsx workbook") from exc
    if strings > MAX_XLSX_STRINGS or cells > MAX_XLSX_CELLS:
        raise too_large


def _xlsx(data: bytes) -> list[RawRow]:
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise _unreadable("工作簿没有工作表 the workbook has no sheet")
            table = []
            for values in book.worksheets[0].iter_rows(values_only=True, max_col=30):
                table.append(list(values))
                if len(table) > MAX_ROWS + 1:
                    break
        finally:
            book.close()
    except _BROKEN_XLSX as exc:
        raise _unreadable("不是有效的 xlsx 文件 not a valid xlsx workbook") from exc
    return _rows_from_table(table)


def polygon_centroid(geometry: dict) -> tuple[float, float]:
    """(lat, lng) of a valid GeoJSON Polygon's centroid; ValueError for anything else."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValueError("must be a valid GeoJSON Polygon")
    try:
        poly = shape(geometry)
        if poly.is_empty or not poly.is_valid:
            raise ValueError("must be a valid GeoJSON Polygon")
    # ValueError from shapely's arrays is worded for programmers ("Input operand 0 does not have enough dimensions")
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError, GEOSException, ValueError) as exc:
        raise ValueError("not a GeoJSON Polygon with valid rings") from exc  # GEOS refuses a ring with NaN
    c = poly.centroid
    if not (-90 <= c.y <= 90 and -180 <= c.x <= 180):
        raise ValueError("coordinates out of range")
    return c.y, c.x


def _geojson(data: bytes) -> list[RawRow]:
    # A feature is three objects (itself, its geometry, its properties): far more objects than MAX_ROWS features
    # can hold is refused before json builds them (5 MB of "{}," are 1.7 million dicts, 114 MB).
    if data.count(b"{") > MAX_ROWS * 10:
        raise _too_many_rows()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    # ValueError: JSONDecodeError, and an integer of more digits than Python converts; RecursionError: nesting
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _unreadable("不是有效的JSON文件 Not valid JSON") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise _unreadable("须为GeoJSON要素集（FeatureCollection） Must be a GeoJSON FeatureCollection")
    if len(doc["features"]) > MAX_ROWS:
        raise _too_many_rows()
    rows = []
    for i, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        values = {HEADERS[k]: _text(v) for k, v in (props or {}).items() if k in HEADERS} if isinstance(props, dict) \
            else {}
        row = RawRow(row=i, values=values)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                row.values["lng"], row.values["lat"] = _text(coords[0]), _text(coords[1])
        elif kind == "Polygon":
            try:
                row.lat, row.lng = polygon_centroid(geometry)
                row.polygon = {"type": "Polygon", "coordinates": geometry["coordinates"]}
            except ValueError as exc:
                row.geometry_error = f"多边形无效 invalid polygon: {exc}"
        else:
            row.geometry_error = f"须为 Point 或 Polygon must be a Point or a Polygon (got {kind})"
        rows.append(row)
    return rows


def parse(filename: str, data: bytes) -> list[RawRow]:
    """The rows of a .csv, .xlsx or .geojson/.json file; 413 above MAX_BYTES, 422 above MAX_ROWS rows."""
    if len(data) > MAX_BYTES:
        raise TooLarge(MAX_BYTES, f"导入文件过大（上限 {MAX_BYTES // 1024 // 1024} MB） Import file too large")
    name = filename.lower()
    if name.endswith(".csv"):
        rows = _csv(data)
    elif name.endswith(".xlsx"):
        rows = _xlsx(data)
    elif name.endswith((".geojson", ".json")):
        rows = _geojson(data)
    else:
        raise Invalid("仅支持 .csv、.xlsx、.geojson 文件 Only .csv, .xlsx and .geojson files",
                      code="unsupported_format")
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    if not rows:
        raise _unreadable("没有数据行 no data rows")
    return rows
