"""Assessment scheme packs (standards/schemes/<code>.yaml): strict loading and validation.

A scheme: code, version, name, subject (branch | member | team | post), period (year | quarter | month),
source, post_kinds (subject post only), params, dimensions (ordered; each with name, weight and items, or
`kpi: true` for a KPI post's own indicators), vetoes, levels (tiling [0, ∞)), pass_min, veto_level, total.
An item has name, max, source, and a metric (scored by `scoring`) and/or `reviewer: true` with `criteria`.
Every error raises PackError naming the file and the key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from dangjian.standards.loader import PACK_DIR, PackError, read_pack

from .metrics import REGISTRY

SCHEME_DIR = PACK_DIR / "schemes"
SUBJECTS = ("branch", "member", "team", "post")
PERIODS = ("year", "quarter", "month")
SCORINGS = ("boolean", "ratio", "bands", "deduct", "map")
POST_KINDS = ("kpi", "model", "vanguard", "zone")
TOP_KEYS = {"code", "version", "name", "subject", "period", "source", "post_kinds", "params", "dimensions", "vetoes",
            "levels", "pass_min", "veto_level", "total", "_file"}
DIMENSION_KEYS = {"name", "weight", "items", "kpi", "source"}
ITEM_KEYS = {"name", "max", "metric", "reviewer", "criteria", "scoring", "source"}
VETO_KEYS = {"name", "source", "metric"}
SUBJECT_LABELS = {"branch": "党支部", "member": "党员", "team": "班组", "post": "岗位"}
PERIOD_LABELS = {"year": "年度", "quarter": "季度", "month": "月度"}


def _known_keys(where: str, obj: dict[str, Any], allowed: set[str]) -> None:
    """`where` is "file: key.path" (or "file:" at the top level)."""
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        key = f"{where} {unknown[0]}" if where.endswith(":") else f"{where}.{unknown[0]}"
        raise PackError(f"{key}: 未知的键（可用：{'、'.join(sorted(allowed - {'_file'}))}）")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(where: str, obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PackError(f"{where}.{key}: 缺少或为空")
    return value.strip()


def _positive(where: str, obj: dict[str, Any], key: str) -> float:
    value = obj.get(key)
    if not _number(value) or value <= 0:
        raise PackError(f"{where}.{key}: 缺少或格式错误（应为正数）")
    return value


def validate_scheme(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a raw pack (as read_pack returns it) and return the scheme in plain form."""
    file = data.get("_file", "考核方案")
    _known_keys(f"{file}:", data, TOP_KEYS)
    subject = data.get("subject")
    if subject not in SUBJECTS:
        raise PackError(f"{file}: subject: 未知的考核对象“{subject}”（应为 branch、member、team 或 post）")
    period = data.get("period")
    if period not in PERIODS:
        raise PackError(f"{file}: period: 未知的考核周期“{period}”（应为 year、quarter 或 month）")
    total = data.get("total")
    if not _number(total) or total <= 0:
        raise PackError(f"{file}: total: 缺少或格式错误（应为正数）")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise PackError(f"{file}: source: 缺少或为空")
    scheme: dict[str, Any] = {
        "code": str(data["code"]), "version": str(data["version"]), "name": str(data["name"]), "file": file,
        "subject": subject, "period": period, "source": source.strip(),
        "total": total, "params": _params(file, data.get("params")),
        "post_kinds": _post_kinds(file, subject, data.get("post_kinds")),
    }
    scheme["dimensions"] = _dimensions(file, subject, data.get("dimensions"), total)
    scheme["vetoes"] = _vetoes(file, subject, data.get("vetoes"))
    scheme["levels"] = _levels(file, data.get("levels"))
    names = [band["name"] for band in scheme["levels"]]
    if data.get("veto_level") not in names:
        raise PackError(f"{file}: veto_level: “{data.get('veto_level')}”不是已定义的等级")
    scheme["veto_level"] = data["veto_level"]
    pass_min = data.get("pass_min")
    if not _number(pass_min) or pass_min < 0:
        raise PackError(f"{file}: pass_min: 缺少或格式错误")
    scheme["pass_min"] = pass_min
    return scheme


def _params(file: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PackError(f"{file}: params: 应为键值映射")
    out = {}
    for key, value in raw.items():
        v = value.get("value") if isinstance(value, dict) else value
        if not _number(v) or v < 0:
            raise PackError(f"{file}: params.{key}: 应为非负数字，实际为{v!r}")
        out[str(key)] = v
    return out


def _post_kinds(file: str, subject: str, raw: Any) -> list[str]:
    if subject != "post":
        if raw:
            raise PackError(f"{file}: post_kinds: 只有考核对象为岗位（post）的方案才能设置")
        return []
    if not isinstance(raw, list) or not raw or any(k not in POST_KINDS for k in raw):
        raise PackError(f"{file}: post_kinds: 应为 kpi、model、vanguard、zone 中的一个或多个")
    return list(raw)


def _dimensions(file: str, subject: str, raw: Any, total: float) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict) or not raw:
        raise PackError(f"{file}: dimensions: 缺少或为空")
    out: dict[str, dict[str, Any]] = {}
    weights = 0.0
    for code, dim in raw.items():
        where = f"{file}: dimensions.{code}"
        if not isinstance(dim, dict):
            raise PackError(f"{where}: 应为键值映射")
        _known_keys(where, dim, DIMENSION_KEYS)
        weight = _positive(where, dim, "weight")
        weights += weight
        result = {"code": str(code), "name": _text(where, dim, "name"), "weight": weight,
                  "kpi": bool(dim.get("kpi", False)), "source": str(dim.get("source", "")), "items": {}}
        if result["kpi"]:
            if subject != "post":
                raise PackError(f"{where}.kpi: 只有岗位（post）方案可以按岗位KPI指标计分")
            if dim.get("items"):
                raise PackError(f"{where}.items: 按KPI指标计分的维度不能另设考核项")
        else:
            items = dim.get("items")
            if not isinstance(items, dict) or not items:
                raise PackError(f"{where}.items: 缺少或为空")
            result["items"] = {str(ic): _item(f"{where}.items.{ic}", str(ic), subject, item)
                               for ic, item in items.items()}
        out[str(code)] = result
    if abs(weights - total) > 1e-9:
        raise PackError(f"{file}: dimensions: 各维度权重之和为{weights:g}，应等于总分{total:g}")
    return out


def _item(where: str, code: str, subject: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PackError(f"{where}: 应为键值映射")
    _known_keys(where, item, ITEM_KEYS)
    maximum = _positive(where, item, "max")
    metric, reviewer = item.get("metric"), item.get("reviewer", False)
    if not isinstance(reviewer, bool):
        raise PackError(f"{where}.reviewer: 应为 true 或 false")
    if metric is None and not reviewer:
        raise PackError(f"{where}: 应设置自动指标（metric）或评审（reviewer: true）")
    out = {"code": code, "name": _text(where, item, "name"), "max": maximum, "metric": None, "reviewer": reviewer,
           "criteria": str(item.get("criteria") or "").strip(), "source": _text(where, item, "source"),
           "scoring": None}
    if reviewer and not out["criteria"]:
        raise PackError(f"{where}.criteria: 评审项应写明评分标准")
    if metric is not None:
        if metric not in REGISTRY:
            raise PackError(f"{where}.metric: 未知的指标“{metric}”")
        if subject not in REGISTRY[metric].subjects:
            raise PackError(f"{where}.metric: 指标“{metric}”不适用于考核对象“{SUBJECT_LABELS[subject]}”")
        out["metric"] = metric
        out["scoring"] = _scoring(f"{where}.scoring", item.get("scoring"), maximum)
    return out


def _scoring(where: str, raw: Any, maximum: float) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: 缺少或格式错误")
    kind = raw.get("type")
    if kind not in SCORINGS:
        raise PackError(f"{where}.type: 未知的计分方式“{kind}”（应为 {'、'.join(SCORINGS)}）")
    if kind == "ratio":
        for key in ("full_at", "zero_at"):
            if not _number(raw.get(key)):
                raise PackError(f"{where}.{key}: 缺少或格式错误")
        if raw["full_at"] == raw["zero_at"]:
            raise PackError(f"{where}: full_at 与 zero_at 不能相等")
        return {"type": kind, "full_at": raw["full_at"], "zero_at": raw["zero_at"]}
    if kind == "bands":
        bands = raw.get("bands")
        if not isinstance(bands, list) or not bands:
            raise PackError(f"{where}.bands: 缺少或为空")
        out = []
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or not _number(band.get("min")) or not _number(band.get("points")):
                raise PackError(f"{where}.bands[{i}]: 应为 {{min, points}}")
            if not 0 <= band["points"] <= maximum:
                raise PackError(f"{where}.bands[{i}].points: 应在0至{maximum:g}之间")
            out.append({"min": band["min"], "points": band["points"]})
        return {"type": kind, "bands": sorted(out, key=lambda b: b["min"], reverse=True)}
    if kind == "deduct":
        per = raw.get("per")
        if not _number(per) or per <= 0:
            raise PackError(f"{where}.per: 缺少或格式错误（应为正数）")
        return {"type": kind, "per": per}
    if kind == "map":
        points = raw.get("points")
        if not isinstance(points, dict) or not points:
            raise PackError(f"{where}.points: 缺少或为空")
        for key, value in points.items():
            if not _number(value) or not 0 <= value <= maximum:
                raise PackError(f"{where}.points.{key}: 应在0至{maximum:g}之间")
        return {"type": kind, "points": {str(k): v for k, v in points.items()}}
    return {"type": kind}


def _vetoes(file: str, subject: str, raw: Any) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PackError(f"{file}: vetoes: 应为键值映射")
    out = {}
    for code, veto in raw.items():
        where = f"{file}: vetoes.{code}"
        if not isinstance(veto, dict):
            raise PackError(f"{where}: 应为键值映射")
        _known_keys(where, veto, VETO_KEYS)
        metric = veto.get("metric")
        if metric is not None and (metric not in REGISTRY or subject not in REGISTRY[metric].subjects):
            raise PackError(f"{where}.metric: 未知或不适用的指标“{metric}”")
        out[str(code)] = {"code": str(code), "name": _text(where, veto, "name"), "source": _text(where, veto, "source"),
                          "metric": metric}
    return out


def _levels(file: str, raw: Any) -> list[dict[str, Any]]:
    """Levels must tile [0, ∞): sorted by min they start at 0, each `below` is the next one's `min`, and only
    the top level is open."""
    if not isinstance(raw, list) or not raw:
        raise PackError(f"{file}: levels: 缺少或为空")
    bands = []
    for i, band in enumerate(raw):
        where = f"{file}: levels[{i}]"
        if not isinstance(band, dict) or not isinstance(band.get("name"), str) or not band["name"].strip():
            raise PackError(f"{where}.name: 缺少或为空")
        if not _number(band.get("min")):
            raise PackError(f"{where}.min: 缺少或格式错误")
        below = band.get("below")
        if below is not None and (not _number(below) or below <= band["min"]):
            raise PackError(f"{where}.below: 应大于 min")
        bands.append({"name": band["name"].strip(), "min": band["min"], "below": below})
    if len({b["name"] for b in bands}) != len(bands):
        raise PackError(f"{file}: levels: 等级名称重复")
    ordered = sorted(bands, key=lambda b: b["min"])
    if ordered[0]["min"] != 0:
        raise PackError(f"{file}: levels: 最低等级应从0分开始")
    for low, high in zip(ordered, ordered[1:], strict=False):
        if low["below"] is None or low["below"] != high["min"]:
            relation = "重叠" if low["below"] is None or low["below"] > high["min"] else "有空档"
            raise PackError(f"{file}: levels: 等级“{low['name']}”与“{high['name']}”{relation}")
    if ordered[-1]["below"] is not None:
        raise PackError(f"{file}: levels: 最高等级“{ordered[-1]['name']}”不应设上限（below）")
    return list(reversed(ordered))


# --- loading -----------------------------------------------------------------------------------------------------

def load_scheme_file(path: str | Path) -> dict[str, Any]:
    return validate_scheme(read_pack(path))


@lru_cache(maxsize=32)
def _cached(code: str) -> dict[str, Any]:
    path = SCHEME_DIR / f"{code}.yaml"
    scheme = load_scheme_file(path)
    if scheme["code"] != code:
        raise PackError(f"{path.name}: code: 应与文件名一致（{code}），实际为“{scheme['code']}”")
    return scheme


def scheme_codes() -> list[str]:
    return sorted(p.stem for p in SCHEME_DIR.glob("*.yaml"))


def load_scheme(code: str) -> dict[str, Any]:
    """The built-in scheme `code`; PackError for an unknown code or a malformed pack."""
    if not isinstance(code, str) or code not in scheme_codes():
        raise PackError(f"考核方案“{code}”不存在")
    return _cached(code)


def all_schemes() -> list[dict[str, Any]]:
    return [load_scheme(c) for c in scheme_codes()]


def item_codes(scheme: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The static items of a scheme by their code "dimension.item"."""
    return {f"{d['code']}.{i['code']}": i for d in scheme["dimensions"].values() for i in d["items"].values()}


def metric_names(scheme: dict[str, Any]) -> set[str]:
    names = {i["metric"] for i in item_codes(scheme).values() if i["metric"]}
    return names | {v["metric"] for v in scheme["vetoes"].values() if v["metric"]}
