"""Validation rules for organizations, teams and members, shared by forms, the API and the importer.

Pure functions over plain values: each returns a list of (field, Chinese message); empty means valid.
Field names are model field names; `FIELD_LABELS` gives the Chinese column headers of the workbook.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from dangjian.core.idcard import IdNumberError, age_on, parse_id_number

from .models import (
    ALLOWED_PARENT_KINDS,
    CATEGORY_DATE_FIELD,
    CATEGORY_ORDER,
    KINDS_WITH_TERM,
    Category,
    OrgKind,
    PartyPost,
    WorkStatus,
)

Errors = list[tuple[str, str]]

# TextChoices.values builds a new list on each call; the importer checks 60,000 rows against these.
_CATEGORIES = frozenset(Category.values)
_POSTS = frozenset(PartyPost.values)
_WORK_STATUSES = frozenset(WorkStatus.values)
_ORG_KINDS = frozenset(OrgKind.values)

MIN_APPLICATION_AGE = 18
# Codes appear in page addresses (/orgs/<code>/): they cannot contain "/" nor take the names of pages.
RESERVED_ORG_CODES = {"new", "suggest"}
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")

MEMBER_DATE_FIELDS = ["applied_on", "activist_on", "candidate_on", "admitted_on", "full_on"]
FIELD_LABELS = {
    "id_number": "身份证号",
    "name": "姓名",
    "category": "人员类别",
    "branch": "所在组织编码",
    "group": "党小组编码",
    "posts": "党内职务",
    "applied_on": "申请入党日期",
    "activist_on": "确定积极分子日期",
    "candidate_on": "确定发展对象日期",
    "admitted_on": "接收预备党员日期",
    "full_on": "转正日期",
    "ethnicity": "民族",
    "education": "学历",
    "job_post": "岗位",
    "admin_title": "行政职务",
    "phone": "手机号码",
    "team": "班组编码",
    "work_status": "工作状态",
}


@dataclass
class OrgRef:
    """What the rules need to know of an organization."""

    code: str
    kind: str
    path: str = ""
    depth: int = 0
    name: str = ""


@dataclass
class MemberData:
    id_number: str
    name: str
    category: str
    branch: OrgRef | None
    group: OrgRef | None = None
    team_branch_code: str | None = None  # the branch of the chosen team, if any
    posts: list[str] = field(default_factory=list)
    applied_on: dt.date | None = None
    activist_on: dt.date | None = None
    candidate_on: dt.date | None = None
    admitted_on: dt.date | None = None
    full_on: dt.date | None = None
    phone: str = ""
    work_status: str = WorkStatus.WORKING


def category_label(category: str) -> str:
    try:
        return Category(category).label
    except ValueError:
        return category


def check_member(data: MemberData, *, today: dt.date | None = None) -> Errors:
    today = today or dt.date.today()
    errors: Errors = []
    birth_date = None
    try:
        birth_date = parse_id_number(data.id_number, today=today).birth_date
    except IdNumberError as exc:
        errors.append(("id_number", str(exc)))
    if not (data.name or "").strip():
        errors.append(("name", "姓名不能为空"))
    elif len(data.name.strip()) > 50:
        errors.append(("name", "姓名不能超过50个字"))

    if data.category not in _CATEGORIES:
        errors.append(("category", f"人员类别“{data.category}”无效，应为：{'/'.join(Category.labels)}"))
    if data.branch is None:
        errors.append(("branch", "所在组织不能为空"))
    elif data.branch.kind != OrgKind.BRANCH:
        errors.append(("branch", f"所在组织“{data.branch.code}”不是党支部，党员须编入党支部"))

    if data.group is not None:
        if data.group.kind != OrgKind.GROUP:
            errors.append(("group", f"“{data.group.code}”不是党小组"))
        elif data.branch is not None and data.branch.path and not (
            data.group.path.startswith(data.branch.path) and data.group.depth == data.branch.depth + 1
        ):
            errors.append(("group", f"党小组“{data.group.code}”不属于所在党支部“{data.branch.code}”"))
    if data.team_branch_code is not None and data.branch is not None and data.team_branch_code != data.branch.code:
        errors.append(("team", f"班组属于党支部“{data.team_branch_code}”，与所在党支部不一致"))

    errors += _check_posts(data)
    errors += _check_dates(data, birth_date, today)

    phone = (data.phone or "").strip()
    if phone and not _PHONE.match(phone):
        errors.append(("phone", "手机号码格式不正确（7至20位数字）"))
    if data.work_status not in _WORK_STATUSES:
        errors.append(("work_status", f"工作状态“{data.work_status}”无效，应为：{'/'.join(WorkStatus.labels)}"))
    return errors


def _check_posts(data: MemberData) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    for post in data.posts:
        if post not in _POSTS:
            errors.append(("posts", f"党内职务“{post}”无效，应为：{'、'.join(PartyPost.values)}"))
        elif post in seen:
            errors.append(("posts", f"党内职务“{post}”重复"))
        seen.add(post)
    if data.posts and data.category in _CATEGORIES and data.category != Category.FULL:
        errors.append(("posts", f"{category_label(data.category)}不能担任党内职务（须为正式党员）"))
    if PartyPost.GROUP_LEADER in seen and data.group is None:
        errors.append(("posts", "担任党小组长须填写所在党小组"))
    return errors


def _check_dates(data: MemberData, birth_date: dt.date | None, today: dt.date) -> Errors:
    errors: Errors = []
    labelled = [(f, FIELD_LABELS[f], getattr(data, f)) for f in MEMBER_DATE_FIELDS]
    for name, label, value in labelled:
        if value is not None and value > today:
            errors.append((name, f"{label}{value.isoformat()}晚于今天"))
        if value is not None and birth_date is not None and value <= birth_date:
            errors.append((name, f"{label}{value.isoformat()}早于出生日期"))

    given = [(n, lbl, v) for n, lbl, v in labelled if v is not None]
    for (_n1, l1, v1), (n2, l2, v2) in zip(given, given[1:], strict=False):
        if v1 > v2:
            errors.append((n2, f"{l2}{v2.isoformat()}早于{l1}{v1.isoformat()}，日期应按入党程序先后排列"))

    if data.category in _CATEGORIES:
        stage = CATEGORY_ORDER.index(Category(data.category))
        label = category_label(data.category)
        for later in CATEGORY_ORDER[stage + 1 :]:
            fname = CATEGORY_DATE_FIELD[later]
            if getattr(data, fname) is not None:
                errors.append((fname, f"人员类别为{label}，不应填写{FIELD_LABELS[fname]}"))
        if stage > 0:
            own = CATEGORY_DATE_FIELD[CATEGORY_ORDER[stage]]
            previous = CATEGORY_DATE_FIELD[CATEGORY_ORDER[stage - 1]]
            if getattr(data, own) is None and getattr(data, previous) is not None:
                errors.append(
                    (own, f"人员类别为{label}，填写了{FIELD_LABELS[previous]}就须填写{FIELD_LABELS[own]}"
                     f"（不详时两者都不填）")
                )

    if data.applied_on is not None and birth_date is not None:
        age = age_on(birth_date, data.applied_on)
        if age < MIN_APPLICATION_AGE:
            errors.append(("applied_on", f"申请入党时年龄为{age}岁，未满{MIN_APPLICATION_AGE}岁"))
    return errors


def check_org(
    *, code: str, name: str, kind: str, parent: OrgRef | None, founded_on: dt.date | None,
    term_started_on: dt.date | None, term_years: int | None, today: dt.date | None = None,
) -> Errors:
    today = today or dt.date.today()
    errors: Errors = []
    if not (code or "").strip():
        errors.append(("code", "组织编码不能为空"))
    elif len(code) > 40:
        errors.append(("code", "组织编码不能超过40个字符"))
    elif "/" in code or code.lower() in RESERVED_ORG_CODES:
        errors.append(("code", f"组织编码不能包含“/”，也不能是{'、'.join(sorted(RESERVED_ORG_CODES))}"))
    if not (name or "").strip():
        errors.append(("name", "组织名称不能为空"))
    elif len(name) > 100:
        errors.append(("name", "组织名称不能超过100个字"))
    if kind not in _ORG_KINDS:
        errors.append(("kind", f"组织类型“{kind}”无效，应为：{'/'.join(OrgKind.labels)}"))
        return errors
    kind_label = OrgKind(kind).label
    if parent is None:
        if kind != OrgKind.COMMITTEE:
            errors.append(("parent", f"{kind_label}须填写上级组织（只有党委可以作为最上级组织）"))
    elif parent.kind not in ALLOWED_PARENT_KINDS[kind]:
        allowed = "或".join(OrgKind(k).label for k in ALLOWED_PARENT_KINDS[kind])
        errors.append(("parent", f"{kind_label}的上级应为{allowed}，“{parent.code}”是{OrgKind(parent.kind).label}"))
    if founded_on is not None and founded_on > today:
        errors.append(("founded_on", f"成立日期{founded_on.isoformat()}晚于今天"))
    if kind not in KINDS_WITH_TERM and (term_started_on is not None or term_years is not None):
        errors.append(("term_started_on", "党小组没有任期，不应填写本届任期开始或任期年限"))
    if term_started_on is not None:
        if term_started_on > today:
            errors.append(("term_started_on", f"本届任期开始{term_started_on.isoformat()}晚于今天"))
        if founded_on is not None and term_started_on < founded_on:
            errors.append(("term_started_on", "本届任期开始早于成立日期"))
    if term_years is not None and not 1 <= term_years <= 10:
        errors.append(("term_years", "任期年限应为1至10之间的整数"))
    return errors


def check_team(*, code: str, name: str, branch: OrgRef | None, staff_count: int | None,
               contact_category: str | None = None, contact_branch_code: str | None = None) -> Errors:
    errors: Errors = []
    if not (code or "").strip():
        errors.append(("code", "班组编码不能为空"))
    elif len(code) > 40:
        errors.append(("code", "班组编码不能超过40个字符"))
    elif "/" in code:
        errors.append(("code", "班组编码不能包含“/”"))
    if not (name or "").strip():
        errors.append(("name", "班组名称不能为空"))
    if branch is None:
        errors.append(("branch", "所属组织不能为空"))
    elif branch.kind != OrgKind.BRANCH:
        errors.append(("branch", f"班组须属于党支部，“{branch.code}”是{OrgKind(branch.kind).label}"))
    if staff_count is not None and staff_count < 0:
        errors.append(("staff_count", "职工人数不能为负数"))
    if contact_category is not None:
        if contact_category not in (Category.PROBATIONARY, Category.FULL):
            errors.append(("contact_member", f"联系党员须为党员，此人是{category_label(contact_category)}"))
        elif branch is not None and contact_branch_code != branch.code:
            errors.append(("contact_member", "联系党员须为本支部党员"))
    return errors
