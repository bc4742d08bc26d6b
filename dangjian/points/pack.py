"""The member points rule pack (standards/points/*.yaml): strict loading and validation, and the choice of
the pack in force for an organization on a date (the deepest ancestor-or-self version, else the default).

A validated pack is a plain dict:
    {code, version, name, source, file,
     categories: {code: {code, name, max: Decimal, base: Decimal, combine: "sum"|"mean"}}  (display order),
     rules: {code: {code, category, name, kind, range: (Decimal, Decimal), source, points?, metric?, status?,
                    activity?, activities?, tag?, grades?, period?}},
     grades: [{name, min: Decimal, below: Decimal|None}]  (highest first)}
Every error is a PackError whose message names the file and the key.
"""

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from dangjian.standards.loader import PackError, read_pack

DEFAULT_PACK = "points/default.yaml"
KINDS = {"auto": "自动", "manual": "评分", "declared": "申报"}
METRICS = ("attendance", "activity_kind", "appraisal")
SPECIAL_METRICS = ("attendance_tagged",)
ATTENDANCE_STATUSES = ("present", "leave", "absent")
ACTIVITY_KINDS = ("branch_assembly", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                  "life_meeting", "member_appraisal", "heart_talk", "topic_study", "volunteer", "campaign",
                  "recruitment_meeting", "other")
GRADE_WORDS = ("优秀", "合格", "基本合格", "不合格")
PERIODS = {"month": "月度", "quarter": "季度"}
COMBINES = ("sum", "mean")
TENTH = Decimal("0.1")
MAX_POINTS = Decimal("1000")
STEPLEN = 4
SPECIAL_CATEGORY = "special"


# --- numbers ------------------------------------------------------------------------------------------

def to_points(value: Any, where: str) -> Decimal:
    """A point value: a number with at most one decimal place, |value| ≤ 1000."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PackError(f"{where}: 应为数字，实际为{value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PackError(f"{where}: 应为数字，实际为{value!r}")
    if not number.is_finite() or abs(number) > MAX_POINTS:
        raise PackError(f"{where}: 数值超出范围（{value!r}）")
    if number != number.quantize(TENTH):
        raise PackError(f"{where}: 最多保留一位小数，实际为{value!r}")
    return number.quantize(TENTH)


def _text(data: dict, key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise PackError(f"{where}.{key}: 缺少或为空")
    return str(value).strip()


# --- the whole pack -----------------------------------------------------------------------------------

def load_pack(path: str | Path = DEFAULT_PACK) -> dict[str, Any]:
    """Read and validate a pack file; PackError names the file and the key."""
    return validate_pack(read_pack(path))


@lru_cache(maxsize=4)
def default_pack() -> dict[str, Any]:
    """The default pack (validated once per process). Callers must not change it."""
    return load_pack(DEFAULT_PACK)


def parse_pack_text(text: str, file: str = "规则包") -> dict[str, Any]:
    """The raw (JSON-able) content of a pack typed as YAML, checked like a file. Returns the raw dict."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        raise PackError(f"{file}: YAML格式错误：{exc}")
    if not isinstance(data, dict):
        raise PackError(f"{file}: 顶层应为键值映射")
    for key in ("code", "version", "name"):
        if key not in data:
            raise PackError(f"{file}: 缺少键“{key}”")
    data = {k: v for k, v in data.items() if k != "_file"}
    validate_pack({**data, "_file": file})
    return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validate_pack(data: dict[str, Any]) -> dict[str, Any]:
    file = data.get("_file", "规则包")
    for key in ("code", "version", "name", "source"):
        _text(data, key, file)
    categories = _validate_categories(file, data.get("categories"))
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, dict) or not rules_raw:
        raise PackError(f"{file}: rules: 缺少或为空")
    rules = {str(code): validate_rule(f"{file}: rules.{code}", str(code), rule, categories)
             for code, rule in rules_raw.items()}
    _check_unique_sources(file, rules)
    _check_mean_categories(file, categories, rules)
    grades = _validate_grades(file, data.get("grades"))
    return {"code": str(data["code"]), "version": str(data["version"]), "name": str(data["name"]),
            "source": str(data["source"]), "file": file, "categories": categories, "rules": rules,
            "grades": grades}


def _validate_categories(file: str, raw: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict) or not raw:
        raise PackError(f"{file}: categories: 缺少或为空")
    out: dict[str, dict[str, Any]] = {}
    for code, cat in raw.items():
        where = f"{file}: categories.{code}"
        if str(code) == SPECIAL_CATEGORY:
            raise PackError(f"{where}: “{SPECIAL_CATEGORY}”为专项考核保留的编码")
        if not isinstance(cat, dict):
            raise PackError(f"{where}: 应为键值映射")
        name = _text(cat, "name", where)
        if "max" not in cat:
            raise PackError(f"{where}.max: 缺少上限")
        cap = to_points(cat["max"], f"{where}.max")
        if cap <= 0:
            raise PackError(f"{where}.max: 上限应为正数，实际为{cat['max']!r}")
        base = to_points(cat.get("base", 0), f"{where}.base")
        if base < 0 or base > cap:
            raise PackError(f"{where}.base: 基础分应在0到上限{cap}之间，实际为{cat.get('base')!r}")
        combine = cat.get("combine", "sum")
        if combine not in COMBINES:
            raise PackError(f"{where}.combine: 应为 sum 或 mean，实际为“{combine}”")
        if combine == "mean" and base:
            raise PackError(f"{where}.base: 取平均值的类别不能设基础分")
        unknown = set(cat) - {"name", "max", "base", "combine", "source"}
        if unknown:
            raise PackError(f"{where}: 未知的键“{'、'.join(sorted(map(str, unknown)))}”")
        out[str(code)] = {"code": str(code), "name": name, "max": cap, "base": base, "combine": combine}
    names = [c["name"] for c in out.values()]
    if len(set(names)) != len(names):
        raise PackError(f"{file}: categories: 类别名称不能重复")
    return out


RULE_KEYS = {"category", "name", "kind", "metric", "status", "points", "range", "source", "activity",
             "activities", "tag", "grades", "period", "code"}


def validate_rule(where: str, code: str, rule: Any, categories: dict[str, Any] | None, *,
                  special: bool = False) -> dict[str, Any]:
    """One rule. `categories` None means a special assessment's rule (no category: it counts in the special)."""
    if not isinstance(rule, dict):
        raise PackError(f"{where}: 应为键值映射")
    unknown = set(rule) - RULE_KEYS
    if unknown:
        raise PackError(f"{where}: 未知的键“{'、'.join(sorted(map(str, unknown)))}”")
    name = _text(rule, "name", where)
    source = _text(rule, "source", where, required=not special)
    if special:
        category = SPECIAL_CATEGORY
    else:
        category = str(rule.get("category") or "")
        if category not in (categories or {}):
            raise PackError(f"{where}.category: 未知的积分类别“{rule.get('category')}”")
    kind = rule.get("kind")
    if kind not in KINDS:
        raise PackError(f"{where}.kind: 未知的规则方式“{kind}”，应为 auto、manual 或 declared")
    lo, hi = _validate_range(where, rule.get("range"))
    out: dict[str, Any] = {"code": code, "category": category, "name": name, "kind": kind, "range": (lo, hi),
                           "source": source}
    if kind == "auto":
        _validate_auto(where, rule, out, special)
    elif "metric" in rule:
        raise PackError(f"{where}.metric: 只有自动规则（auto）才有 metric")
    if kind == "declared" and lo <= 0:
        raise PackError(f"{where}.range: 申报类规则的分值应为正数")
    if "period" in rule:
        if kind != "manual":
            raise PackError(f"{where}.period: 只有评分规则（manual）才按期间评分")
        if rule["period"] not in PERIODS:
            raise PackError(f"{where}.period: 应为 month 或 quarter，实际为“{rule['period']}”")
        out["period"] = rule["period"]
    return out


def _validate_range(where: str, raw: Any) -> tuple[Decimal, Decimal]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise PackError(f"{where}.range: 缺少或格式错误（应为[最低, 最高]）")
    lo = to_points(raw[0], f"{where}.range")
    hi = to_points(raw[1], f"{where}.range")
    if lo > hi:
        raise PackError(f"{where}.range: 最低值{lo}大于最高值{hi}")
    return lo, hi


def _in_range(value: Decimal, rng: tuple[Decimal, Decimal]) -> bool:
    return rng[0] <= value <= rng[1]


def _validate_auto(where: str, rule: dict, out: dict, special: bool) -> None:
    metric = rule.get("metric")
    allowed = SPECIAL_METRICS if special else METRICS
    if metric not in allowed:
        raise PackError(f"{where}.metric: 未知的取数方式“{metric}”，应为{'、'.join(allowed)}")
    out["metric"] = metric
    if metric == "appraisal":
        grades = rule.get("grades")
        if not isinstance(grades, dict) or not grades:
            raise PackError(f"{where}.grades: 缺少评议等次的分值")
        table = {}
        for word, value in grades.items():
            if word not in GRADE_WORDS:
                raise PackError(f"{where}.grades.{word}: 未知的评议等次，应为{'、'.join(GRADE_WORDS)}")
            points = to_points(value, f"{where}.grades.{word}")
            if not _in_range(points, out["range"]):
                raise PackError(f"{where}.grades.{word}: 分值{points}超出本规则范围{_range_text(out['range'])}")
            table[word] = points
        out["grades"] = table
        return
    if "points" not in rule:
        raise PackError(f"{where}.points: 自动规则缺少分值")
    points = to_points(rule["points"], f"{where}.points")
    if not _in_range(points, out["range"]):
        raise PackError(f"{where}.points: 分值{points}超出本规则范围{_range_text(out['range'])}")
    out["points"] = points
    if metric == "attendance" or metric == "attendance_tagged":
        status = rule.get("status", "present" if metric == "attendance_tagged" else None)
        if status not in ATTENDANCE_STATUSES:
            raise PackError(f"{where}.status: 未知的出勤情况“{status}”，应为 present、leave 或 absent")
        out["status"] = status
    if metric == "attendance" and "activities" in rule:
        kinds = rule["activities"]
        if not isinstance(kinds, list) or not kinds:
            raise PackError(f"{where}.activities: 应为活动类型列表")
        for kind in kinds:
            _activity_kind(f"{where}.activities", kind)
        out["activities"] = list(kinds)
    if metric == "activity_kind":
        out["activity"] = _activity_kind(f"{where}.activity", rule.get("activity"))
    if metric == "attendance_tagged":
        if "activity" in rule:
            out["activity"] = _activity_kind(f"{where}.activity", rule.get("activity"))
        if "tag" in rule:
            out["tag"] = _text(rule, "tag", where)
        if "activity" not in out and "tag" not in out:
            raise PackError(f"{where}.tag: 须指定“党建+”标签（tag）或活动类型（activity）")


def _activity_kind(where: str, kind: Any) -> str:
    if kind not in ACTIVITY_KINDS:
        raise PackError(f"{where}: 未知的活动类型“{kind}”")
    return kind


def _range_text(rng: tuple[Decimal, Decimal]) -> str:
    return f"[{fmt(rng[0])}, {fmt(rng[1])}]"


def fmt(value: Decimal) -> str:
    """A point value as users read it: 8, 7.5, -2."""
    return str(int(value)) if value == value.to_integral_value() else str(value.quantize(TENTH))


def _check_unique_sources(file: str, rules: dict[str, dict]) -> None:
    """Each record feeds at most one automatic rule (the ledger keys an automatic entry by its record)."""
    seen: dict[tuple, str] = {}
    for code, rule in rules.items():
        if rule["kind"] != "auto":
            continue
        metric = rule["metric"]
        key = (metric, rule.get("status"), rule.get("activity")) if metric != "appraisal" else (metric,)
        if key in seen:
            raise PackError(f"{file}: rules.{code}: 与规则“{seen[key]}”取自同一类记录，同一记录只能计分一次")
        seen[key] = code


def _check_mean_categories(file: str, categories: dict, rules: dict) -> None:
    for code, cat in categories.items():
        if cat["combine"] != "mean":
            continue
        mine = [r for r in rules.values() if r["category"] == code]
        where = f"{file}: categories.{code}.combine"
        if not mine:
            raise PackError(f"{where}: 取平均值的类别没有规则")
        periods = {r.get("period") for r in mine}
        if any(r["kind"] != "manual" for r in mine) or len(periods) != 1 or None in periods:
            raise PackError(f"{where}: 取平均值的类别，其规则须均为按同一期间（month 或 quarter）评分的评分规则")


def _validate_grades(file: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise PackError(f"{file}: grades: 缺少或为空")
    grades = []
    for i, g in enumerate(raw):
        where = f"{file}: grades[{i}]"
        if not isinstance(g, dict):
            raise PackError(f"{where}: 应为键值映射")
        name = _text(g, "name", where)
        if "min" not in g:
            raise PackError(f"{where}.min: 缺少下限")
        low = to_points(g["min"], f"{where}.min")
        below = to_points(g["below"], f"{where}.below") if g.get("below") is not None else None
        if below is not None and below <= low:
            raise PackError(f"{where}.below: 应大于下限{fmt(low)}")
        grades.append({"name": name, "min": low, "below": below, "_where": where})
    grades.sort(key=lambda g: g["min"])
    if grades[0]["min"] != 0:
        raise PackError(f"{grades[0]['_where']}.min: 等次须从0分起评，最低下限为{fmt(grades[0]['min'])}")
    for lower, upper in zip(grades, grades[1:], strict=False):
        if lower["below"] is None or lower["below"] > upper["min"]:
            raise PackError(f"{upper['_where']}.min: 与等次“{lower['name']}”重叠")
        if lower["below"] < upper["min"]:
            raise PackError(f"{upper['_where']}.min: 与等次“{lower['name']}”之间有空档"
                            f"（{fmt(lower['below'])}至{fmt(upper['min'])}）")
    if grades[-1]["below"] is not None:
        raise PackError(f"{grades[-1]['_where']}.below: 最高等次不应设上限（below）")
    names = [g["name"] for g in grades]
    if len(set(names)) != len(names):
        raise PackError(f"{file}: grades: 等次名称不能重复")
    return [{"name": g["name"], "min": g["min"], "below": g["below"]} for g in reversed(grades)]


def validate_special_rules(raw: Any, file: str = "专项考核") -> list[dict[str, Any]]:
    """A special assessment's rules: a list of rules (each with its own `code`), kinds manual / declared /
    auto (metric attendance_tagged). Returns the validated rules; PackError names the item and key."""
    if not isinstance(raw, list) or not raw:
        raise PackError(f"{file}: rules: 缺少或为空")
    out, codes = [], set()
    for i, rule in enumerate(raw):
        where = f"{file}: rules[{i}]"
        if not isinstance(rule, dict):
            raise PackError(f"{where}: 应为键值映射")
        code = _text(rule, "code", where)
        if code in codes:
            raise PackError(f"{where}.code: 规则编码“{code}”重复")
        codes.add(code)
        out.append(validate_rule(where, code, rule, None, special=True))
    return out


def special_rules_map(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in rules}


# --- lookups ------------------------------------------------------------------------------------------

def grade_for(pack: dict[str, Any], total: Decimal) -> str:
    for g in pack["grades"]:
        if total >= g["min"] and (g["below"] is None or total < g["below"]):
            return g["name"]
    return pack["grades"][-1]["name"]  # below 0 cannot happen (floors are 0); kept total


def rule_label(pack: dict[str, Any], code: str) -> str:
    rule = pack["rules"].get(code)
    return rule["name"] if rule else code


def category_names(pack: dict[str, Any]) -> list[str]:
    return [c["name"] for c in pack["categories"].values()]


def pack_summary(pack: dict[str, Any]) -> dict[str, Any]:
    """The JSON-able head of a pack (code, version, name, categories, grades) for APIs and exports."""
    return {
        "code": pack["code"], "version": pack["version"], "name": pack["name"],
        "categories": [{"code": c["code"], "name": c["name"], "max": float(c["max"]), "base": float(c["base"]),
                        "combine": c["combine"]} for c in pack["categories"].values()],
        "grades": [{"name": g["name"], "min": float(g["min"]),
                    "below": None if g["below"] is None else float(g["below"])} for g in pack["grades"]],
    }


def slot_kind(slot: str) -> str | None:
    """'2026-Q1' → quarter, '2026-03' → month, anything else → None."""
    if len(slot) == 7 and slot[4] == "-" and slot[:4].isdigit():
        if slot[5] == "Q" and slot[6] in "1234":
            return "quarter"
        if slot[5:].isdigit() and 1 <= int(slot[5:]) <= 12:
            return "month"
    return None


def slot_bounds(slot: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period key (2026-Q1 or 2026-03)."""
    year = int(slot[:4])
    if slot[5] == "Q":
        first_month = (int(slot[6]) - 1) * 3 + 1
        last_month = first_month + 2
    else:
        first_month = last_month = int(slot[5:])
    start = dt.date(year, first_month, 1)
    end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def period_months(period: str) -> list[str]:
    """The months (YYYY-MM) of a period key: a month, a quarter, or a year (YYYY)."""
    if len(period) == 4 and period.isdigit():
        return [f"{period}-{m:02d}" for m in range(1, 13)]
    start, end = slot_bounds(period)
    return [f"{start.year}-{m:02d}" for m in range(start.month, end.month + 1)]


# --- which pack is in force -----------------------------------------------------------------------------

def ancestor_paths(path: str) -> list[str]:
    """The paths from the root down to `path` itself."""
    return [path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN)]


class PackChooser:
    """The pack in force for an organization path on a date, from a list of versions held in memory.

    versions: (org path, effective_from, validated pack). The deepest ancestor-or-self organization that
    has a version with effective_from ≤ date wins (its latest such version); else the default pack.
    """

    def __init__(self, versions: list[tuple[str, dt.date, dict[str, Any]]], default: dict[str, Any] | None = None):
        self.default = default if default is not None else default_pack()
        self.by_path: dict[str, list[tuple[dt.date, dict[str, Any]]]] = {}
        for path, day, pack in versions:
            self.by_path.setdefault(path, []).append((day, pack))
        for items in self.by_path.values():
            items.sort(key=lambda item: item[0], reverse=True)
        self._cache: dict[tuple[str, dt.date], dict[str, Any]] = {}

    @property
    def trivial(self) -> bool:
        return not self.by_path

    def pack_for(self, path: str, day: dt.date) -> dict[str, Any]:
        if not self.by_path:
            return self.default
        key = (path, day)
        found = self._cache.get(key)
        if found is None:
            found = self._choose(path, day)
            self._cache[key] = found
        return found

    def _choose(self, path: str, day: dt.date) -> dict[str, Any]:
        for p in reversed(ancestor_paths(path)):
            for effective_from, pack in self.by_path.get(p, ()):
                if effective_from <= day:
                    return pack
        return self.default


def pack_from_content(content: dict[str, Any], file: str) -> dict[str, Any]:
    """Validate a stored version's content (a raw pack dict) into a pack."""
    return validate_pack({**copy.deepcopy(content), "_file": file})
