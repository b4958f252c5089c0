"""Default checklists (测评细则) derived from the taxonomy's site types: pure, no database.

Each site type's checklist totals exactly 100 points (1000 tenths), split evenly over its items (the first
items take the remainder tenths). An item's dimension, problem category and deduction rule are read from its
text by the ordered keyword tables below (first match wins); the office edits any of them as a new version.
"""

import functools
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TOTAL_TENTHS = 1000
PER_OCCURRENCE = "per_occurrence"
ALL_OR_NOTHING = "all_or_nothing"

PREFIX = {  # site type → item code prefix
    "farmers_market": "FM", "back_alley": "BA", "residential_compound": "RC", "main_road_commercial_street": "MR",
    "bus_stop": "BS", "school_surroundings": "SS", "public_square_park": "PP", "construction_site_hoarding": "CS",
    "public_toilet_refuse_station": "PT",
}

# (keywords, dimension): the first row with a keyword in the text decides.
DIMENSIONS: list[tuple[tuple[str, ...], str]] = [
    (("公益广告", "核心价值观", "宣传", "景观小品"), "宣传氛围"),
    (("证照", "健康证", "投诉", "志愿", "公平秤", "行业规范", "制度上墙", "无证经营", "娱乐场所", "网吧"), "服务管理"),
    (("停车", "停放", "占道", "摆摊", "闯红灯", "各行其道", "排队", "争吵", "养宠", "乞讨", "杂物"), "公共秩序"),
    (("环境卫生", "垃圾", "卫生", "保洁", "异味", "浮土", "粪便", "污水"), "环境卫生"),
    (("消防", "照明", "路灯", "缆线", "飞线", "窨井", "路面", "硬化", "排水", "警示标志", "外立面", "设施",
      "指示牌", "站牌"), "基础设施"),
    (("小广告", "张贴", "私搭乱建", "乱搭建", "六乱", "摆放", "乱晾", "毁绿", "饲养"), "公共秩序"),
]
DEFAULT_DIMENSION = "服务管理"
# The default dimensions' English names. A dimension the office typed itself has none: readers fall back to its
# Chinese name.
DIMENSIONS_EN = {"宣传氛围": "Publicity", "服务管理": "Service & management", "公共秩序": "Public order",
                 "环境卫生": "Sanitation", "基础设施": "Infrastructure"}

# (keywords, category code): the problem category a failed item becomes (a subcategory of the taxonomy).
CATEGORIES: list[tuple[tuple[str, ...], str]] = [
    (("公益广告", "核心价值观", "景观小品", "创建文明城市"), "07008"),  # 公益性宣传品缺损
    (("散发小广告", "小广告乱张贴乱发放"), "07002"),  # 街头散发广告
    (("小广告", "乱张贴", "张贴", "涂写"), "07001"),  # 非法小广告
    (("消防",), "09012"),  # 占用消防通道
    (("公厕指示牌",), "03002"),  # 公厕指示牌异常
    (("卫生间", "公厕", "厕所"), "03001"),  # 公共厕所异常
    (("违章停车", "机动车、非机动车", "共享单车", "车辆停放"), "09010"),  # 非机动车乱停放
    (("占道", "摆摊", "摊点", "流动摊贩"), "09006"),  # 占道经营
    (("分类",), "06041"),  # 垃圾未分类
    (("垃圾", "渣土"), "06011"),  # 积存垃圾渣土
    (("外立面",), "06004"),  # 建筑物外立面污损
    (("乱搭建", "私搭乱建", "违法建筑"), "06001"),  # 私搭乱建
    (("缆线", "飞线", "乱牵"), "06008"),  # 擅自架设管线、杆线设施
    (("窨井", "路缘石"), "06050"),  # 路缘石缺损
    (("路面", "坑洼", "人行步道", "硬化"), "06013"),  # 道路破损
    (("饲养", "畜禽", "家禽"), "06038"),  # 擅自饲养家禽家畜
    (("乞讨",), "09003"),  # 流浪乞讨
    (("乱扔",), "06012"),  # 道路不洁
    (("杂物", "乱堆"), "06036"),  # 乱堆杂物
    (("乱晾", "晾晒"), "06007"),  # 沿街晾挂
    (("毁绿",), "06045"),  # 非法占绿毁绿
    (("浮土",), "08004"),  # 工地扬尘
    (("建筑材料",), "08006"),  # 施工物料乱堆放
    (("围挡",), "08007"),  # 施工工地围挡问题
    (("户外广告",), "03006"),  # 户外广告异常
    (("证照", "健康证", "公平秤", "投诉", "行业规范", "无证经营", "柜台", "志愿"), "09020"),  # 农贸市场秩序问题
    (("无证", "网吧", "娱乐场所"), "09001"),  # 无照经营游商
    (("限速", "交通安全警示", "闯红灯"), "06016"),  # 交通标线不清晰
]
DEFAULT_CATEGORY = "06012"  # 道路不洁: the general 市容 problem


@dataclass(frozen=True)
class DefaultItem:
    code: str
    position: int
    text_zh: str
    text_en: str
    dimension: str
    points_tenths: int
    rule: str
    deduction_tenths: int
    photos_required: int
    category_code: str


def _first(table: list[tuple[tuple[str, ...], str]], text: str, default: str) -> str:
    return next((value for words, value in table if any(w in text for w in words)), default)


def rule_for(text: str) -> str:
    """无…/乱… standards are lost per occurrence (capped at the item's points); the others all or nothing."""
    return PER_OCCURRENCE if text.startswith("无") or "乱" in text or "小广告" in text else ALL_OR_NOTHING


def split_points(n: int, total: int = TOTAL_TENTHS) -> list[int]:
    """`total` tenths over n items as evenly as tenths allow; the first items take the remainder."""
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def deduction_for(points_tenths: int, rule: str) -> int:
    """Per occurrence: a quarter of the points, rounded down to half a point (at least half a point, at most
    the points); all or nothing: the points."""
    if rule == ALL_OR_NOTHING:
        return points_tenths
    return min(points_tenths, max(5, points_tenths // 4 // 5 * 5))


def default_items(site_type: dict) -> list[DefaultItem]:
    """The version-1 checklist of a taxonomy site type ({code, zh, en, checklist: [{zh, en, source}]})."""
    prefix = PREFIX.get(site_type["code"]) or site_type["code"][:2].upper()
    entries = site_type["checklist"]
    items = []
    for i, (entry, points) in enumerate(zip(entries, split_points(len(entries)), strict=True)):
        text = entry["zh"]
        rule = rule_for(text)
        dimension = _first(DIMENSIONS, text, DEFAULT_DIMENSION)
        fallback = "07008" if dimension == "宣传氛围" else DEFAULT_CATEGORY
        items.append(DefaultItem(
            code=f"{prefix}-{i + 1:02d}", position=i + 1, text_zh=text, text_en=entry.get("en", ""),
            dimension=dimension, points_tenths=points, rule=rule, deduction_tenths=deduction_for(points, rule),
            photos_required=1, category_code=_first(CATEGORIES, text, fallback)))
    return items


@cache
def site_types(path: Path | None = None) -> tuple[dict, ...]:
    """The taxonomy's site types, in its order."""
    from app.core.config import get_settings

    data = json.loads((path or get_settings().taxonomy_path).read_text(encoding="utf-8"))
    return tuple(data["site_types"])


@functools.cache
def site_type_names() -> dict[str, str]:
    """Each site type's Chinese name, by code (the taxonomy is read once per process)."""
    return {t["code"]: t["zh"] for t in site_types()}


@functools.cache
def site_type_names_en() -> dict[str, str]:
    """Each site type's English name, by code (empty where the taxonomy has none)."""
    return {t["code"]: t.get("en") or "" for t in site_types()}


def dimension_en(dimension: str) -> str:
    """A dimension's English name; empty for one the office named itself."""
    return DIMENSIONS_EN.get(dimension, "")


def site_type_codes() -> list[str]:
    return [t["code"] for t in site_types()]
