"""Work templates as data: the YAML files in standards/templates/, checked on load, and the versions a
group or branch makes of them for its subtree (TemplateVersion), chosen by organization and date.

A template says who holds the work, who is expected (应到), how often it is due, the 五定 fields it
requires, its steps, the roles it needs, its quorum rule, the evidence it wants and its follow-ups.
"""

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from dangjian.standards.loader import PACK_DIR, PackError

from .models import ActivityKind

TEMPLATE_DIR = PACK_DIR / "templates"

HOLDERS = {"branch": "党支部", "group": "党小组"}
EXPECTED = {
    "party_members": "本组织全体党员（含预备党员）",
    "full_members": "本组织全体正式党员",
    "committee": "支部委员会委员",
    "group_members": "本党小组全体党员",
    "none": "不固定（按实际参加人员）",
}
PERIODS = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年", "none": "不定期"}
FIVE_DING = {"time": "定时间", "content": "定内容", "agenda": "定议程", "standard": "定标准", "effect": "定效果"}
ROLES = {"host": "主持人", "recorder": "记录人", "lecturer": "讲课人"}
QUORUM_OF = {"expected": "应到人数", "voting": "有表决权的应到人数（正式党员）"}
EVIDENCE = {"signin": "签到表", "minutes": "会议记录", "photo": "现场照片", "material": "学习材料", "other": "其他"}
FOLLOW_UPS = {"rectification": "形成整改清单，逐项销号", "appraisal": "评定每名党员的等次（优秀/合格/基本合格/不合格）"}
SIX_YOU = ["有方案", "有措施", "有要求", "有检查", "有考核", "有实效"]


@dataclass(frozen=True)
class WorkTemplate:
    """A template as in force for some organization on some date."""

    kind: str
    content: dict[str, Any]
    ref: str  # "标准模板 2018.1" or "<org>版本（2025-01-01起）" (at most 40 characters)
    version_id: int | None = None
    org_name: str = ""  # the organization whose version this is ("" for the standard)
    effective_from: dt.date | None = None

    @property
    def is_standard(self) -> bool:
        return self.version_id is None

    @property
    def label(self) -> str:
        return ActivityKind(self.kind).label

    @property
    def name(self) -> str:
        return self.content["name"]

    @property
    def frequency(self) -> dict[str, Any]:
        return self.content.get("frequency") or {"period": "none", "times": 0}

    @property
    def quorum(self) -> dict[str, Any] | None:
        return self.content.get("quorum")

    def get(self, key: str, default: Any = None) -> Any:
        return self.content.get(key, default)


class TemplateError(PackError):
    """A template is malformed. str() is "file: key: message"; the parts are kept for forms."""

    def __init__(self, file: str, key: str, detail: str):
        self.file, self.key, self.detail = file, key, detail
        super().__init__(f"{file}: {key}: {detail}" if key else f"{file}: {detail}")


def _fail(file: str, key: str, message: str) -> TemplateError:
    return TemplateError(file, key, message)


def _require(data: dict, file: str, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data or data[key] is None:
        raise _fail(file, key, "缺少此项")
    if not isinstance(data[key], kind) or (isinstance(data[key], bool) and bool not in _as_tuple(kind)):
        raise _fail(file, key, f"类型错误，应为{_type_name(kind)}")
    return data[key]


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "文字", int: "整数", float: "数字", list: "列表", dict: "键值映射", bool: "是/否"}
    return "或".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _choice(value: Any, allowed: dict | list, file: str, key: str) -> None:
    if value is None:
        raise _fail(file, key, f"缺少此项，应为：{'、'.join(allowed)}")
    if not isinstance(value, str | int) or value not in allowed:
        raise _fail(file, key, f"“{value}”无效，应为：{'、'.join(allowed)}")


def _optional_text(data: dict, file: str, key: str) -> None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(file, key, "应为文字")


def validate_template(data: Any, file: str) -> dict[str, Any]:
    """Check one template's content; raise TemplateError (a PackError) naming the file and the key.

    Normalizes in place (version as text, frequency.times filled in) and returns the same dict.
    """
    if not isinstance(data, dict):
        raise TemplateError(file, "", "顶层应为键值映射（kind、name、frequency …）")
    kind = _require(data, file, "kind", str)
    _choice(kind, ActivityKind.values, file, "kind")
    if not _require(data, file, "name", str).strip():
        raise _fail(file, "name", "名称不能为空")
    _require(data, file, "version", (str, int, float))
    data["version"] = str(data["version"])
    holders = _require(data, file, "holder", list)
    if not holders:
        raise _fail(file, "holder", "至少指定一种开展组织（branch 或 group）")
    for i, holder in enumerate(holders):
        _choice(holder, HOLDERS, file, f"holder[{i}]")
    _choice(_require(data, file, "expected", str), EXPECTED, file, "expected")

    freq = _require(data, file, "frequency", dict)
    _choice(freq.get("period"), PERIODS, file, "frequency.period")
    times = freq.get("times", 0 if freq["period"] == "none" else None)
    if not isinstance(times, int) or isinstance(times, bool) or times < 0:
        raise _fail(file, "frequency.times", "应为不小于0的整数")
    if freq["period"] != "none" and times < 1:
        raise _fail(file, "frequency.times", "定期开展的工作至少1次")
    if freq["period"] == "none" and times:
        raise _fail(file, "frequency.times", "不定期的工作次数应为0（要规定次数，请选择周期）")
    freq["times"] = times
    if not isinstance(freq.get("local", False), bool):
        raise _fail(file, "frequency.local", "应为 true（地方做法）或 false")
    if freq.get("source") is not None and not isinstance(freq["source"], str):
        raise _fail(file, "frequency.source", "应为文字")

    five = data.get("five_ding") or []
    if not isinstance(five, list):
        raise _fail(file, "five_ding", "应为列表（key、hint）")
    seen: set[str] = set()
    for i, item in enumerate(five):
        if not isinstance(item, dict):
            raise _fail(file, f"five_ding[{i}]", "应为键值映射（key、hint）")
        _choice(item.get("key"), FIVE_DING, file, f"five_ding[{i}].key")
        if item["key"] in seen:
            raise _fail(file, f"five_ding[{i}].key", f"“{item['key']}”重复")
        seen.add(item["key"])
        if item.get("hint") is not None and not isinstance(item["hint"], str):
            raise _fail(file, f"five_ding[{i}].hint", "应为文字")
    steps = _require(data, file, "steps", list)
    if not steps:
        raise _fail(file, "steps", "至少须有一个步骤")
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("title"), str) or not step["title"].strip():
            raise _fail(file, f"steps[{i}].title", "每个步骤须有标题")
        if step.get("detail") is not None and not isinstance(step["detail"], str):
            raise _fail(file, f"steps[{i}].detail", "应为文字")
    titles = [s["title"].strip() for s in steps]
    for i, title in enumerate(titles):
        if title in titles[:i]:
            raise _fail(file, f"steps[{i}].title", f"步骤“{title}”重复")
    roles = data.get("roles") or []
    if not isinstance(roles, list):
        raise _fail(file, "roles", "应为列表")
    for i, role in enumerate(roles):
        _choice(role, ROLES, file, f"roles[{i}]")
    quorum = data.get("quorum")
    if quorum is not None:
        if not isinstance(quorum, dict):
            raise _fail(file, "quorum", "应为键值映射（rule、of）或留空")
        _choice(quorum.get("rule"), ["more_than_half"], file, "quorum.rule")
        _choice(quorum.get("of"), QUORUM_OF, file, "quorum.of")
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list):
        raise _fail(file, "evidence", "应为列表")
    for i, ev in enumerate(evidence):
        _choice(ev, EVIDENCE, file, f"evidence[{i}]")
    if data.get("follow_up") is not None:
        _choice(data["follow_up"], FOLLOW_UPS, file, "follow_up")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise _fail(file, "params", "应为键值映射")
    ratio = params.get("excellent_max_ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1):
        raise _fail(file, "params.excellent_max_ratio", "应为大于0、不超过1的数（如三分之一填0.3333）")
    for key in ("tags", "six_you"):
        if data.get(key) is not None and not all(isinstance(t, str) and t.strip()
                                                 for t in _require(data, file, key, list)):
            raise _fail(file, key, "应为文字列表")
    for key in ("guide", "source"):
        _optional_text(data, file, key)
    return data


def load_file(path: Path) -> dict[str, Any]:
    """Read and check one template file; errors name the file (and the key or the line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path.name, "", f"无法读取文件：{exc}")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列附近" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(path.name, "", f"YAML格式错误：{where}{problem}")
    return validate_template(data, path.name)


def load_dir(directory: Path | str, *, require_all: bool = True) -> dict[str, dict[str, Any]]:
    """All templates of a directory, by kind: one file per kind; with require_all, every kind present."""
    directory = Path(directory)
    found: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = load_file(path)
        if data["kind"] in found:
            raise TemplateError(path.name, "kind", f"“{data['kind']}”已由另一个模板文件{files[data['kind']]}定义")
        found[data["kind"]] = data
        files[data["kind"]] = path.name
    missing = [k.label for k in ActivityKind if k.value not in found]
    if require_all and missing:
        raise PackError(f"{directory.name}: 缺少模板：{'、'.join(missing)}")
    return found


@lru_cache(maxsize=1)
def default_templates() -> dict[str, dict[str, Any]]:
    """The standard templates, by kind; every kind must have exactly one file."""
    return load_dir(TEMPLATE_DIR)


REF_MAX = 40  # Activity.template_ref holds the ref


def version_ref(org_name: str, effective_from: dt.date) -> str:
    """How a version is named on records: "<org>版本（YYYY-MM-DD起）", at most REF_MAX characters."""
    tail = f"版本（{effective_from:%Y-%m-%d}起）"
    room = REF_MAX - len(tail)
    name = org_name if len(org_name) <= room else org_name[: room - 1] + "…"
    return name + tail


def _standard(kind: str) -> WorkTemplate:
    content = default_templates()[kind]
    return WorkTemplate(kind=kind, content=content, ref=f"标准模板 {content['version']}")


def _from_version(v) -> WorkTemplate:
    return WorkTemplate(kind=v.kind, content=v.content, version_id=v.pk, ref=version_ref(v.org.name, v.effective_from),
                        org_name=v.org.name, effective_from=v.effective_from)


def ancestor_paths(org) -> list[str]:
    """The paths of an organization and all its ancestors."""
    steplen = type(org).steplen
    return [org.path[: steplen * i] for i in range(1, org.depth + 1)]


def effective_template(kind: str, org, on: dt.date) -> WorkTemplate:
    """The template in force for an organization on a date: the nearest own version, else the standard.

    Among the versions of the organization and its ancestors effective on the date, the deepest
    organization's wins; within one organization the latest effective_from wins.
    """
    from .models import TemplateVersion

    version = (TemplateVersion.objects.filter(kind=kind, org__path__in=ancestor_paths(org), effective_from__lte=on)
               .select_related("org").order_by("-org__depth", "-effective_from", "-id").first())
    return _from_version(version) if version is not None else _standard(kind)


def effective_templates(org, on: dt.date) -> dict[str, WorkTemplate]:
    """Every kind's template in force for an organization on a date (one query)."""
    from .models import TemplateVersion

    chosen: dict[str, WorkTemplate] = {}
    versions = (TemplateVersion.objects.filter(org__path__in=ancestor_paths(org), effective_from__lte=on)
                .select_related("org").order_by("kind", "-org__depth", "-effective_from", "-id"))
    for v in versions:
        if v.kind not in chosen:
            chosen[v.kind] = _from_version(v)
    for kind in default_templates():
        if kind not in chosen:
            chosen[kind] = _standard(kind)
    return chosen


class TemplateChooser:
    """effective_template / effective_templates for many organizations and dates from one query.

    Loads the versions of every ancestor of the given organizations once; then chooses in memory the same
    way as effective_template (the deepest organization's version in force wins, then the latest date).
    """

    def __init__(self, orgs) -> None:
        from .models import TemplateVersion

        paths = {p for o in orgs for p in ancestor_paths(o)}
        self.versions: dict[str, list] = {}
        if paths:
            for v in TemplateVersion.objects.filter(org__path__in=paths).select_related("org"):
                self.versions.setdefault(v.kind, []).append(v)
        self._cache: dict[tuple[int, dt.date], dict[str, WorkTemplate]] = {}

    def choose(self, kind: str, org, on: dt.date) -> WorkTemplate:
        candidates = [v for v in self.versions.get(kind, ()) if org.path.startswith(v.org.path)
                      and v.effective_from <= on]
        if candidates:
            return _from_version(max(candidates, key=lambda v: (v.org.depth, v.effective_from, v.pk)))
        return _standard(kind)

    def all_for(self, org, on: dt.date) -> dict[str, WorkTemplate]:
        key = (org.pk, on)
        if key not in self._cache:
            self._cache[key] = {kind: self.choose(kind, org, on) for kind in default_templates()}
        return self._cache[key]


def standard_templates() -> dict[str, WorkTemplate]:
    """The standard templates as WorkTemplates (for users with no organization)."""
    return {kind: _standard(kind) for kind in default_templates()}


# --- versions over time ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    """A version that applies to an organization (its own or an ancestor's), with its state on a date."""

    version: Any  # TemplateVersion
    state: str  # current | future | replaced | shadowed

    STATES = {"current": "现行", "future": "待生效", "replaced": "已被新版本替代",
              "shadowed": "不适用（下级组织有自己的版本）"}

    @property
    def state_label(self) -> str:
        return self.STATES[self.state]


def _winner(versions: list, on: dt.date):
    candidates = [v for v in versions if v.effective_from <= on]
    return max(candidates, key=lambda v: (v.org.depth, v.effective_from, v.pk), default=None)


def version_history(kind: str, org, today: dt.date) -> list[VersionRow]:
    """Every version of a template that applies to an organization, newest first, each with its state."""
    from .models import TemplateVersion

    versions = list(TemplateVersion.objects.filter(kind=kind, org__path__in=ancestor_paths(org))
                    .select_related("org", "created_by"))
    current = _winner(versions, today)
    rows = []
    for v in versions:
        wins_own_date = _winner(versions, v.effective_from) is v
        if v is current:
            state = "current"
        elif not wins_own_date:
            state = "shadowed"
        elif v.effective_from > today:
            state = "future"
        else:
            state = "replaced"
        rows.append(VersionRow(version=v, state=state))
    rows.sort(key=lambda r: (r.version.effective_from, r.version.org.depth, r.version.pk), reverse=True)
    return rows


# --- plain-Chinese descriptions (pages, documents) ------------------------------------------------------

EXPECTED_WHO = {"party_members": "党员", "full_members": "正式党员", "committee": "支部委员",
                "group_members": "本小组党员", "none": "参加人员"}


def frequency_text(content: dict[str, Any]) -> str:
    """ "每月1次", "每季度1次", "每年1次" or "不定期"."""
    freq = content.get("frequency") or {}
    period = freq.get("period", "none")
    if period == "none":
        return PERIODS["none"]
    return f"{PERIODS[period]}{freq.get('times', 1)}次"


def holder_text(content: dict[str, Any]) -> str:
    return "或".join(HOLDERS[h] for h in content.get("holder", []))


def quorum_text(content: dict[str, Any]) -> str:
    """The quorum rule in one phrase."""
    quorum = content.get("quorum")
    if not quorum:
        return "不设到会人数要求"
    if quorum.get("of") == "voting":
        return "有表决权的党员到会须超过半数"
    return f"应到的{EXPECTED_WHO.get(content.get('expected') or '', '人员')}到会须超过半数"


def quorum_explanation(content: dict[str, Any]) -> list[str]:
    """Sentences that explain the quorum rule to a new 党务工作者."""
    quorum = content.get("quorum")
    if not quorum:
        return ["这项工作没有规定到会人数，但应到人员因故不能参加的应当请假，系统照常记录出席、请假和缺席。"]
    lines = ["“超过半数”是严格多于一半：应到9人至少到会5人，应到10人至少到会6人；基数按应到人数计算，不按实到人数。"]
    if quorum.get("of") == "voting":
        lines.append("预备党员可以参加会议，但没有表决权，不计入基数；基数是应到会的正式党员人数。")
        lines.append("需要表决的事项，赞成票须超过应到会有表决权党员的半数才能通过。")
    return lines


def ratio_text(ratio: float | None) -> str:
    """0.3333 → "三分之一"; other ratios as a percentage."""
    if ratio is None:
        return ""
    share = Fraction(ratio).limit_denominator(100)
    names = {2: "二", 3: "三", 4: "四", 5: "五", 10: "十"}
    if share.numerator == 1 and share.denominator in names:
        return f"{names[share.denominator]}分之一"
    return f"{ratio * 100:g}%"


# --- errors as form messages ----------------------------------------------------------------------------

KEY_LABELS = {
    "": "模板内容", "kind": "模板类型", "name": "名称", "version": "版本", "holder": "开展组织",
    "expected": "应到人员", "frequency": "频次", "frequency.period": "频次周期", "frequency.times": "每个周期次数",
    "frequency.local": "地方做法标记", "frequency.source": "频次依据", "five_ding": "五定提示",
    "steps": "流程步骤", "roles": "必备角色", "quorum": "到会人数要求", "evidence": "佐证材料",
    "follow_up": "后续工作", "params": "参数", "params.excellent_max_ratio": "“优秀”等次最高比例",
    "tags": "“党建+”标签", "six_you": "“六有”", "guide": "工作指引", "source": "依据",
}
_FIELD_OF_KEY = {"frequency.period": "period", "frequency.times": "times", "frequency.local": "local",
                 "frequency.source": "frequency_source", "params.excellent_max_ratio": "excellent_max_ratio"}


def _key_parts(key: str) -> tuple[str, int | None]:
    """ "steps[2].title" → ("steps", 2); "frequency.times" → ("frequency.times", None)."""
    match = re.match(r"^([a-z_]+)\[(\d+)\]", key)
    if match:
        return match.group(1), int(match.group(2))
    return key, None


def error_field(key: str) -> str:
    """The form field (or content key) a template error belongs to."""
    base, _ = _key_parts(key)
    return _FIELD_OF_KEY.get(base, base.split(".")[0] or "content")


def describe_error(exc: TemplateError) -> str:
    """A template error as a Chinese sentence without identifiers, e.g. "流程步骤第3项：每个步骤须有标题"."""
    base, index = _key_parts(exc.key)
    label = KEY_LABELS.get(base) or KEY_LABELS.get(base.split(".")[0], base)
    where = f"第{index + 1}项" if index is not None else ""
    return f"{label}{where}：{exc.detail}"
