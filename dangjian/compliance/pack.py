"""The compliance rule pack (standards/compliance/*.yaml): loading, validation, and overrides for a subtree.

A rule is a plain dict: {code, name, check, activity?, holder?, params, severity, source, enabled}.
Overrides are a mapping {org path: {rule code: {"enabled": bool, "params": {...}}}}; the overrides of an
organization's ancestors apply from the top down (a plain dict merge), so a group can switch a rule off or
change its parameters for its whole subtree and a deeper organization can change them again. Where the
overrides are stored is left to the caller (a later change adds the storage).
"""

import copy
from pathlib import Path
from typing import Any

from dangjian.standards.loader import PackError, read_pack

DEFAULT_PACK = "compliance/zhibu-2018.yaml"
SEVERITIES = ("danger", "warning")
PERIODS = ("month", "quarter", "year")
ACTIVITY_KINDS = ("branch_assembly", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                  "life_meeting", "member_appraisal", "heart_talk", "topic_study", "volunteer", "campaign",
                  "recruitment_meeting", "other")
# check → the parameters it needs (all non-negative integers except "period").
CHECKS: dict[str, tuple[str, ...]] = {
    "frequency": ("period", "times"),
    "quorum": (),
    "absence": ("months",),
    "org_committee": ("committee_threshold", "min_committee_posts"),
    "org_size": ("min_full_members", "max_members"),
    "org_term": ("warning_months",),
}
STEPLEN = 4


def load_pack(path: str | Path = DEFAULT_PACK) -> dict[str, Any]:
    """Read and validate a pack; PackError names the file and the key."""
    return validate_pack(read_pack(path))


def validate_pack(data: dict[str, Any]) -> dict[str, Any]:
    file = data.get("_file", "规则包")
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        raise PackError(f"{file}: 缺少键“rules”或其为空")
    out = {}
    for code, rule in rules.items():
        out[code] = _validate_rule(file, str(code), rule)
    return {"code": data["code"], "version": str(data["version"]), "name": data["name"], "file": file,
            "rules": out}


def _validate_rule(file: str, code: str, rule: Any) -> dict[str, Any]:
    where = f"{file}: rules.{code}"
    if not isinstance(rule, dict):
        raise PackError(f"{where}: 应为键值映射")
    for key in ("name", "check", "severity", "source"):
        if not isinstance(rule.get(key), str) or not rule[key].strip():
            raise PackError(f"{where}.{key}: 缺少或为空")
    if rule["check"] not in CHECKS:
        raise PackError(f"{where}.check: 未知的检查类型“{rule['check']}”")
    if rule["severity"] not in SEVERITIES:
        raise PackError(f"{where}.severity: 应为 danger 或 warning，实际为“{rule['severity']}”")
    if rule["check"] in ("frequency", "quorum"):
        if rule.get("activity") not in ACTIVITY_KINDS:
            raise PackError(f"{where}.activity: 未知的活动类型“{rule.get('activity')}”")
        if rule.get("holder") not in ("branch", "group"):
            raise PackError(f"{where}.holder: 应为 branch 或 group")
    params = rule.get("params") or {}
    if not isinstance(params, dict):
        raise PackError(f"{where}.params: 应为键值映射")
    result = {**rule, "code": code, "params": dict(params), "enabled": rule.get("enabled", True)}
    check_params(where, result)
    return result


def check_params(where: str, rule: dict[str, Any]) -> None:
    params = rule["params"]
    for key in CHECKS[rule["check"]]:
        if key not in params:
            raise PackError(f"{where}.params.{key}: 缺少参数")
    for key, value in params.items():
        if key == "period":
            if value not in PERIODS:
                raise PackError(f"{where}.params.period: 应为 month、quarter 或 year，实际为“{value}”")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise PackError(f"{where}.params.{key}: 应为非负整数，实际为{value!r}")
    if not isinstance(rule["enabled"], bool):
        raise PackError(f"{where}.enabled: 应为 true 或 false")


def ancestor_paths(path: str) -> list[str]:
    """The paths from the root down to `path` itself."""
    return [path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN)]


def effective_rules(pack: dict[str, Any], path: str,
                    overrides: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """The rules in force for the organization at `path`: the pack's, then each ancestor's override, top down.

    An override {"enabled": False} switches a rule off; {"params": {...}} changes some of its parameters.
    Raises PackError for an unknown rule or a bad parameter.
    """
    rules = pack["rules"]
    if not overrides:
        return rules
    merged: dict[str, dict[str, Any]] | None = None
    for p in ancestor_paths(path):
        for code, change in (overrides.get(p) or {}).items():
            if code not in rules:
                raise PackError(f"组织{p}的调整: 规则“{code}”不存在")
            if merged is None:
                merged = copy.deepcopy(rules)
            rule = merged[code]
            if "enabled" in change:
                rule["enabled"] = change["enabled"]
            rule["params"] = {**rule["params"], **(change.get("params") or {})}
            check_params(f"组织{p}的调整: rules.{code}", rule)
    return merged if merged is not None else rules
