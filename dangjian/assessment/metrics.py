"""The metric registry: name → (subjects it applies to, label, what it needs, a pure function).

A metric reads plain records (loaded by facts.py in a constant number of queries, or made by hand in tests)
and returns a MetricValue: its value, a Chinese text saying what it counted, the records behind it (activity
codes, task ids, checklist item ids, …) and, when the records are not there, `missing` with a None value
("unknown is not zero").

`needs` names the record sources a metric reads, so that facts.py loads only what a scheme's metrics need:
compliance (the compliance facts and findings), members (party members per branch), pipeline (activists and
candidates), teams, points (year totals), month_points, attendance (per member, in the period), appraisals,
tasks (rectification), checklists, posts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .engine import MetricValue, Subject

SANHUI_KINDS = ("branch_assembly", "committee_meeting", "group_meeting", "party_lecture")
KIND_LABELS = {
    "branch_assembly": "支部党员大会", "committee_meeting": "支部委员会", "group_meeting": "党小组会",
    "party_lecture": "党课", "theme_day": "主题党日", "life_meeting": "组织生活会", "member_appraisal": "民主评议党员",
    "volunteer": "志愿服务",
}
# the activity kinds that the metrics read beside those of the compliance pack's rules
ACTIVITY_KINDS = ("life_meeting", "member_appraisal", "volunteer")
SHOWN = 8  # how many missed periods a text names before "等"


# --- records -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodCheck:
    """One period that a frequency rule of the compliance pack required of a branch (or of one of its groups)."""
    rule: str
    kind: str  # activity kind
    org_code: str
    period: str
    met: bool
    records: tuple[str, ...] = ()  # codes of the activities that counted


@dataclass(frozen=True)
class ActivityRecord:
    code: str
    kind: str
    day: dt.date
    held: bool
    quorum_base: int | None = None  # None: no quorum rule
    quorum_present: int = 0

    @property
    def quorum_met(self) -> bool | None:
        if self.quorum_base is None:
            return None
        return self.quorum_base > 0 and self.quorum_present * 2 > self.quorum_base


@dataclass(frozen=True)
class FindingRecord:
    rule: str
    check: str  # frequency / quorum / absence / org_committee / org_size / org_term
    severity: str
    period: str | None
    message: str


@dataclass(frozen=True)
class TaskRecord:
    id: int
    title: str
    deadline: dt.date | None
    closed_on: dt.date | None  # None while open


@dataclass(frozen=True)
class ChecklistRecord:
    id: int
    title: str
    due_on: dt.date
    done_on: dt.date | None


@dataclass
class BranchRecords:
    id: int
    code: str
    name: str
    path: str = ""
    term_ends_on: dt.date | None = None
    full_members: int = 0
    committee_posts: int = 0
    committee_threshold: int = 7
    checks: list[PeriodCheck] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)  # of the branch and its groups, in the period
    findings: list[FindingRecord] = field(default_factory=list)  # compliance findings of the year
    member_ids: list[int] = field(default_factory=list)  # party members
    activists: int = 0
    candidates: int = 0
    team_ids: list[int] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    checklist: list[ChecklistRecord] = field(default_factory=list)


@dataclass
class MemberRecords:
    id: int
    name: str
    branch_id: int
    category: str = "full"
    team_id: int | None = None
    attendance: dict[str, int] = field(default_factory=dict)  # status → rows, in the period
    attendance_codes: list[str] = field(default_factory=list)  # activities missed (缺席), for the record list
    appraisal: tuple[str, str] | None = None  # (grade, activity code) of the latest 民主评议 in the year
    checklist: list[ChecklistRecord] = field(default_factory=list)


@dataclass
class TeamRecords:
    id: int
    code: str
    name: str
    branch_id: int
    member_ids: list[int] = field(default_factory=list)  # party members of the team
    staff_count: int | None = None


@dataclass
class PostRecords:
    id: int
    name: str
    kind: str
    branch_id: int
    holder_id: int | None = None
    holder_name: str = ""


@dataclass
class Records:
    year: int
    period: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    branches: dict[int, BranchRecords] = field(default_factory=dict)
    members: dict[int, MemberRecords] = field(default_factory=dict)
    teams: dict[int, TeamRecords] = field(default_factory=dict)
    posts: dict[int, PostRecords] = field(default_factory=dict)
    points: dict[int, Decimal] | None = None  # member id → year total; None: points not available
    points_missing: str = "党员积分尚未计算"
    month_points: dict[int, Decimal] | None = None  # member id → the period's points


# --- the registry ------------------------------------------------------------------------------------------------

MetricFn = Callable[[Subject, Records], MetricValue]


@dataclass(frozen=True)
class Metric:
    name: str
    subjects: tuple[str, ...]
    label: str
    needs: frozenset[str]
    fn: MetricFn


REGISTRY: dict[str, Metric] = {}


def metric(name: str, subjects: tuple[str, ...], label: str, needs: tuple[str, ...]) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        REGISTRY[name] = Metric(name, subjects, label, frozenset(needs), fn)
        return fn
    return register


def needs_of(names) -> set[str]:
    out: set[str] = set()
    for name in names:
        out |= REGISTRY[name].needs
    return out


def compute(names, subjects: list[Subject], records: Records) -> dict[tuple[str, str], MetricValue]:
    """Every named metric for every subject it applies to."""
    out: dict[tuple[str, str], MetricValue] = {}
    chosen = [REGISTRY[n] for n in sorted(set(names))]
    for s in subjects:
        for m in chosen:
            if s.kind in m.subjects:
                out[(s.key, m.name)] = m.fn(s, records)
    return out


def pct(x: float) -> str:
    return f"{x * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _num(x: Decimal | float) -> str:
    text = f"{float(x):.1f}".rstrip("0").rstrip(".")
    return text or "0"


def _missing(text: str) -> MetricValue:
    return MetricValue(None, "", [], text)


def _pending(text: str) -> MetricValue:
    """Not yet due in the period evaluated: left out of the dimension's maximum instead of scoring 0."""
    return MetricValue(None, f"未到期：{text}", [], None, True)


def _open(r: Records) -> bool:
    """The period evaluated has not ended yet on the as-of day."""
    return r.as_of <= r.end


def _branch(subject: Subject, r: Records) -> BranchRecords | None:
    return r.branches.get(subject.org_id)


# --- branch: organizational life (from the compliance engine) ---------------------------------------------------

def _completion(subject: Subject, r: Records, kinds: tuple[str, ...], label: str) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织生活记录")
    checks = [c for c in b.checks if c.kind in kinds]
    if not checks:
        if _open(r):
            return _pending(f"本期尚无已结束的{label}考核周期")
        return _missing(f"本期没有应开展{label}的周期")
    met = [c for c in checks if c.met]
    missed = [c for c in checks if not c.met]
    text = f"应按期开展{label}{len(checks)}个周期，按期完成{len(met)}个"
    if missed:
        shown = "、".join(f"{KIND_LABELS.get(c.kind, c.kind)}{c.period}" for c in missed[:SHOWN])
        text += f"；未按期：{shown}{'等' if len(missed) > SHOWN else ''}"
    records = sorted({code for c in met for code in c.records})
    return MetricValue(len(met) / len(checks), text, records)


@metric("sanhui_completion", ("branch",), "三会一课按期完成率", ("compliance",))
def sanhui_completion(subject: Subject, r: Records) -> MetricValue:
    """Share of the periods that the compliance pack's 三会一课 frequency rules required (ended periods only)
    in which the branch (and its 党小组s) met the requirement."""
    return _completion(subject, r, SANHUI_KINDS, "三会一课")


@metric("theme_day_completion", ("branch",), "主题党日按月开展率", ("compliance",))
def theme_day_completion(subject: Subject, r: Records) -> MetricValue:
    return _completion(subject, r, ("theme_day",), "主题党日")


@metric("quorum_rate", ("branch",), "会议到会人数合规率", ("compliance",))
def quorum_rate(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织生活记录")
    ruled = [a for a in b.activities if a.held and a.quorum_base is not None and a.day <= r.as_of]
    if not ruled:
        return _missing("本期尚无有到会人数要求的会议记录")
    failed = [a for a in ruled if not a.quorum_met]
    text = f"有到会人数要求的会议{len(ruled)}次，到会人数符合规定{len(ruled) - len(failed)}次"
    if failed:
        text += "；不足半数：" + "、".join(a.code for a in failed[:SHOWN]) + ("等" if len(failed) > SHOWN else "")
    return MetricValue((len(ruled) - len(failed)) / len(ruled), text, [a.code for a in failed])


def _held(subject: Subject, r: Records, kind: str) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织生活记录")
    held = [a for a in b.activities if a.kind == kind and a.held and a.day <= r.as_of]
    label = KIND_LABELS[kind]
    if held:
        return MetricValue(True, f"已开展{label}{len(held)}次（{held[0].day.isoformat()}起）", [a.code for a in held])
    if _open(r):
        return _pending(f"本期{label}尚未开展（应于{r.end.isoformat()}前完成）")
    return MetricValue(False, f"本期未开展{label}", [])


@metric("life_meeting_held", ("branch",), "召开组织生活会", ("compliance",))
def life_meeting_held(subject: Subject, r: Records) -> MetricValue:
    return _held(subject, r, "life_meeting")


@metric("appraisal_held", ("branch",), "开展民主评议党员", ("compliance",))
def appraisal_held(subject: Subject, r: Records) -> MetricValue:
    return _held(subject, r, "member_appraisal")


@metric("volunteer_count", ("branch",), "志愿服务次数", ("compliance",))
def volunteer_count(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织生活记录")
    held = [a for a in b.activities if a.kind == "volunteer" and a.held and a.day <= r.as_of]
    return MetricValue(float(len(held)), f"本期开展志愿服务{len(held)}次", [a.code for a in held])


@metric("open_findings", ("branch",), "规范化检查问题数", ("compliance",))
def open_findings(subject: Subject, r: Records) -> MetricValue:
    """The compliance engine's problems (danger) of the year for the branch and its groups: frequency, quorum
    and structure. The member-level absence rule is not run for assessments (it needs the attendance of every
    member in every month and belongs to the member, not to the branch's organizational life)."""
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的检查结果")
    danger = [f for f in b.findings if f.severity == "danger"]
    text = f"本年组织生活规范化检查发现问题{len(danger)}项（不含党员个人连续缺席）"
    if danger:
        text += "：" + "；".join(f.message for f in danger[:3]) + ("等" if len(danger) > 3 else "")
    return MetricValue(float(len(danger)), text, [f"{f.rule}:{f.period or ''}" for f in danger])


# --- branch: organization --------------------------------------------------------------------------------------

def _org_findings(b: BranchRecords, check: str, severity: str | None = None) -> list[FindingRecord]:
    return [f for f in b.findings if f.check == check and (severity is None or f.severity == severity)]


@metric("committee_complete", ("branch",), "支部委员会设置健全", ("compliance",))
def committee_complete(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织信息")
    bad = _org_findings(b, "org_committee")
    if bad:
        return MetricValue(False, bad[0].message, [])
    if b.full_members < b.committee_threshold:
        return MetricValue(True, f"正式党员{b.full_members}人，不足{b.committee_threshold}人，不需设立支部委员会", [])
    return MetricValue(True, f"正式党员{b.full_members}人，支部委员{b.committee_posts}人，设置健全", [])


@metric("term_not_overdue", ("branch",), "按期换届", ("compliance",))
def term_not_overdue(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织信息")
    if b.term_ends_on is None:
        return _missing("未填写本届任期开始日期")
    overdue = _org_findings(b, "org_term", "danger")
    if overdue:
        return MetricValue(False, overdue[0].message, [])
    return MetricValue(True, f"本届任期至{b.term_ends_on.isoformat()}", [])


@metric("org_size_ok", ("branch",), "支部人数规模符合规定", ("compliance",))
def org_size_ok(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的组织信息")
    bad = _org_findings(b, "org_size")
    if bad:
        return MetricValue(False, "；".join(f.message for f in bad), [])
    return MetricValue(True, f"正式党员{b.full_members}人，人数规模符合规定", [])


@metric("new_member_pipeline", ("branch",), "入党积极分子和发展对象人数", ("pipeline",))
def new_member_pipeline(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    if b is None:
        return _missing("未找到本支部的人员信息")
    n = b.activists + b.candidates
    return MetricValue(float(n), f"入党积极分子{b.activists}人，发展对象{b.candidates}人", [])


@metric("red_team_coverage", ("branch",), "红色班组覆盖率", ("teams",))
def red_team_coverage(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    teams = [r.teams[t] for t in b.team_ids if t in r.teams] if b else []
    if not teams:
        return _missing("本支部尚未登记班组")
    red = [t for t in teams if t.member_ids]
    text = f"班组{len(teams)}个，有党员的红色班组{len(red)}个"
    plain = [t.name for t in teams if not t.member_ids]
    if plain:
        text += "；尚无党员：" + "、".join(plain[:SHOWN]) + ("等" if len(plain) > SHOWN else "")
    return MetricValue(len(red) / len(teams), text, [f"team:{t.code}" for t in red])


# --- branch: members' points and appraisals --------------------------------------------------------------------

def _avg_points(ids: list[int], r: Records, who: str) -> MetricValue:
    if r.points is None:
        return _missing(r.points_missing)
    if not ids:
        return _missing(f"{who}没有党员")
    totals = [r.points.get(i, Decimal(0)) for i in ids]
    avg = sum(totals, Decimal(0)) / len(totals)
    return MetricValue(float(avg), f"{who}党员{len(ids)}人，年度积分平均{_num(avg)}分", [])


@metric("avg_member_points", ("branch",), "党员年度积分平均分", ("points", "members"))
def avg_member_points(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    return _avg_points(b.member_ids if b else [], r, "本支部")


@metric("excellent_member_share", ("branch",), "民主评议优秀党员比例", ("members", "appraisals", "compliance"))
def excellent_member_share(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    graded = [r.members[i] for i in (b.member_ids if b else []) if i in r.members and r.members[i].appraisal]
    if not graded:
        held = b is not None and any(a.kind == "member_appraisal" and a.held for a in b.activities)
        if _open(r) and not held:
            return _pending("本年民主评议党员尚未开展")
        return _missing("已开展民主评议党员，尚未录入评议等次" if held else "本年未录入民主评议等次")
    excellent = [m for m in graded if m.appraisal and m.appraisal[0] == "优秀"]
    codes = sorted({m.appraisal[1] for m in graded if m.appraisal})
    return MetricValue(len(excellent) / len(graded),
                       f"参加民主评议{len(graded)}人，评为优秀{len(excellent)}人（{pct(len(excellent) / len(graded))}）",
                       codes)


# --- branch: rectification and checklists ----------------------------------------------------------------------

@metric("rectification_on_time", ("branch",), "整改按期销号率", ("tasks",))
def rectification_on_time(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    due = [t for t in (b.tasks if b else []) if t.deadline is not None and t.deadline <= r.as_of]
    if not due:
        return MetricValue(1.0, "本年没有已到期的整改任务", [])
    on_time = [t for t in due if t.closed_on is not None and t.closed_on <= t.deadline]
    late = [t for t in due if t not in on_time]
    text = f"已到期整改任务{len(due)}项，按期销号{len(on_time)}项"
    if late:
        text += "；逾期：" + "、".join(t.title for t in late[:3]) + ("等" if len(late) > 3 else "")
    return MetricValue(len(on_time) / len(due), text, [f"task:{t.id}" for t in due])


def _checklist(items: list[ChecklistRecord], r: Records, who: str) -> MetricValue:
    """Items done by their due date / items due; an item not done whose due date has not passed on the as-of day
    is not due yet and left out."""
    if not items:
        return _missing(f"{who}尚未建立本年创建清单")
    due = [c for c in items if c.done_on is not None or c.due_on < r.as_of]
    if not due:
        return _pending(f"创建清单事项{len(items)}项，均未到完成时限")
    done = [c for c in due if c.done_on is not None and c.done_on <= c.due_on]
    late = [c for c in due if c.done_on is not None and c.done_on > c.due_on]
    text = f"创建清单事项{len(items)}项（已到期或已完成{len(due)}项），按期完成{len(done)}项"
    if late:
        text += f"，逾期完成{len(late)}项"
    return MetricValue(len(done) / len(due), text, [f"checklist:{c.id}" for c in items])


@metric("checklist_completion", ("branch",), "支部创建清单按期完成率", ("checklists",))
def checklist_completion(subject: Subject, r: Records) -> MetricValue:
    b = _branch(subject, r)
    return _checklist(b.checklist if b else [], r, "本支部")


# --- member ------------------------------------------------------------------------------------------------------

@metric("member_points_total", ("member",), "党员年度积分", ("points",))
def member_points_total(subject: Subject, r: Records) -> MetricValue:
    if r.points is None:
        return _missing(r.points_missing)
    total = r.points.get(subject.id, Decimal(0))
    return MetricValue(float(total), f"年度积分{_num(total)}分", [f"points:{subject.id}"])


def _attendance(member: MemberRecords | None, who: str) -> MetricValue:
    counts = member.attendance if member else {}
    present, leave, absent = counts.get("present", 0), counts.get("leave", 0), counts.get("absent", 0)
    if present + absent == 0:
        return _missing(f"{who}本期没有应参加的组织生活记录" + (f"（请假{leave}次）" if leave else ""))
    rate = present / (present + absent)
    return MetricValue(rate, f"出席{present}次，请假{leave}次，缺席{absent}次，出勤率{pct(rate)}（请假不计）",
                       list(member.attendance_codes) if member else [])


@metric("member_attendance_rate", ("member",), "参加组织生活出勤率", ("attendance",))
def member_attendance_rate(subject: Subject, r: Records) -> MetricValue:
    return _attendance(r.members.get(subject.id), "")


@metric("member_appraisal_grade", ("member",), "民主评议等次", ("appraisals",))
def member_appraisal_grade(subject: Subject, r: Records) -> MetricValue:
    m = r.members.get(subject.id)
    if m is None or m.appraisal is None:
        if _open(r):
            return _pending("本年民主评议等次尚未录入")
        return _missing("本年未录入民主评议等次")
    return MetricValue(m.appraisal[0], f"民主评议等次：{m.appraisal[0]}", [m.appraisal[1]])


@metric("member_checklist_completion", ("member",), "个人创建清单按期完成率", ("checklists",))
def member_checklist_completion(subject: Subject, r: Records) -> MetricValue:
    m = r.members.get(subject.id)
    return _checklist(m.checklist if m else [], r, "本人")


# --- team --------------------------------------------------------------------------------------------------------

@metric("team_red", ("team",), "红色班组（有党员）", ("teams",))
def team_red(subject: Subject, r: Records) -> MetricValue:
    t = r.teams.get(subject.id)
    if t is None:
        return _missing("未找到班组")
    n = len(t.member_ids)
    staff = f"，职工{t.staff_count}人" if t.staff_count else ""
    return MetricValue(n >= 1, f"班组内党员{n}人{staff}", [f"member:{i}" for i in t.member_ids])


@metric("team_member_points_avg", ("team",), "班组党员积分平均分", ("teams", "points"))
def team_member_points_avg(subject: Subject, r: Records) -> MetricValue:
    t = r.teams.get(subject.id)
    return _avg_points(t.member_ids if t else [], r, "本班组")


# --- post --------------------------------------------------------------------------------------------------------

@metric("post_holder_attendance_month", ("post",), "在岗党员本月出勤率", ("posts", "attendance"))
def post_holder_attendance_month(subject: Subject, r: Records) -> MetricValue:
    p = r.posts.get(subject.id)
    if p is None or p.holder_id is None:
        return _missing("岗位尚无在岗党员")
    return _attendance(r.members.get(p.holder_id), p.holder_name)


@metric("post_holder_points_month", ("post",), "在岗党员本月积分", ("posts", "month_points"))
def post_holder_points_month(subject: Subject, r: Records) -> MetricValue:
    p = r.posts.get(subject.id)
    if p is None or p.holder_id is None:
        return _missing("岗位尚无在岗党员")
    if r.month_points is None:
        return _missing(r.points_missing)
    value = r.month_points.get(p.holder_id, Decimal(0))
    return MetricValue(float(value), f"{p.holder_name}{r.period}积分{_num(value)}分", [f"points:{p.holder_id}"])
