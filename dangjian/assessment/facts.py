"""Loading the facts of a scheme for a subtree and a period, in a constant number of queries whatever the
number of branches, members or teams.

Only the record sources that the scheme's metrics name in their `needs` are read (metrics.py). The 三会一课
metrics come from the compliance engine, run once for the whole subtree (dangjian.compliance.engine.check) on
compliance facts loaded here with what those metrics need: the organizations, the party members with their
committee posts, the year's activities, and the quorum counts of the held activities whose template has a
quorum rule — the same counts as dangjian.compliance.facts.load_facts, but without the per-member absence rows
(the absence rule is member-level and feeds no branch metric), which is what makes a group-wide evaluation
fast. The reviewer scores and vetoes come from the current (not superseded) evaluations of the scheme and
period, or from one given evaluation.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from dangjian.compliance import engine as ce
from dangjian.compliance.facts import HELD_STATUSES, local_start
from dangjian.compliance.models import CLOSED_STATUSES, RectificationTask
from dangjian.compliance.pack import effective_rules, load_pack
from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, Appraisal, Attendance, AttendanceStatus
from dangjian.meetings.worktemplates import TemplateChooser, WorkTemplate, default_templates
from dangjian.orgs.models import (
    COMMITTEE_POSTS,
    PARTY_MEMBER_CATEGORIES,
    Category,
    Member,
    MemberPost,
    Organization,
    OrgKind,
    WorkTeam,
)

from . import metrics as mx
from .engine import KpiFact, ReviewerScore, SchemeFacts, Subject, VetoFact
from .models import (
    ChecklistItem,
    Evaluation,
    EvaluationStatus,
    ItemScore,
    KpiIndicator,
    KpiValue,
    Post,
    VetoMark,
)
from .schemes import metric_names

STEP = Organization.steplen


# --- periods -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    label: str  # "2026" | "2026-Q2" | "2026-03"
    kind: str  # year | quarter | month
    year: int
    start: dt.date
    end: dt.date  # last day


def parse_period(kind: str, period: str | int) -> Span:
    """The span of a period label of the scheme's kind; ValueError (Chinese) for a malformed one."""
    text = str(period).strip()
    try:
        if kind == "year" and len(text) == 4:
            year = int(text)
            return Span(text, kind, year, dt.date(year, 1, 1), dt.date(year, 12, 31))
        if kind == "quarter" and len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234":
            year, q = int(text[:4]), int(text[6])
            return Span(text, kind, year, dt.date(year, 3 * q - 2, 1), ce.month_end(year, 3 * q))
        if kind == "month" and len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            return Span(f"{year}-{month:02d}", kind, year, dt.date(year, month, 1), ce.month_end(year, month))
    except ValueError:
        pass
    examples = {"year": "2026", "quarter": "2026-Q2", "month": "2026-03"}
    raise ValueError(f"考核期间“{text}”格式错误，应形如 {examples.get(kind, '2026')}")


def default_as_of(span: Span, today: dt.date | None = None) -> dt.date:
    """Periods are judged as of today, or as of the day after the span once it has ended."""
    today = today or timezone.localdate()
    return min(today, span.end + dt.timedelta(days=1))


# --- entry point -------------------------------------------------------------------------------------------------

def load_scheme_facts(scheme: dict[str, Any], root: Organization, period: str | int, *,
                      as_of: dt.date | None = None, only: str | None = None,
                      evaluation: Evaluation | None = None) -> SchemeFacts:
    """The facts of `scheme` for the subjects in `root`'s subtree (or only the subject with key `only`)."""
    span = parse_period(scheme["period"], period)
    as_of = as_of or default_as_of(span)
    subjects, posts = _subjects(scheme, root)
    if only is not None:
        subjects = [s for s in subjects if s.key == only]
    records = mx.Records(year=span.year, period=span.label, start=span.start, end=span.end, as_of=as_of, posts=posts)
    names = metric_names(scheme)
    load_records(records, mx.needs_of(names), root, subjects, single=only is not None)
    facts = SchemeFacts(subjects=subjects, metrics=mx.compute(names, subjects, records), period=span.label)
    _reviewer(facts, scheme, root, span, evaluation)
    if any(d["kpi"] for d in scheme["dimensions"].values()):
        facts.kpi = _kpi(root, span, [s.id for s in subjects])
    return facts


def load_records(records: mx.Records, needs: set[str], root: Organization, subjects: list[Subject],
                 single: bool = False) -> None:
    """Fill `records` with the sources in `needs` for `root`'s subtree (a few queries per source)."""
    if needs & {"compliance", "members", "pipeline", "tasks", "checklists"} or any(
            s.kind == "branch" for s in subjects):
        _branches(records, root)
    if "compliance" in needs:
        load_compliance(records, root)
    if needs & {"members", "teams", "appraisals", "attendance", "checklists"}:
        _members(records, root)
    if "pipeline" in needs:
        _pipeline(records, root)
    if "teams" in needs:
        _teams(records, root)
    if "points" in needs:
        _points(records, root)
    if "month_points" in needs:
        _month_points(records, root)
    if "attendance" in needs:
        holders = {p.holder_id for p in records.posts.values() if p.holder_id}
        _attendance(records, root, holders if subjects and subjects[0].kind == "post" else None, single)
    if "appraisals" in needs:
        _appraisals(records, root)
    if "tasks" in needs:
        _tasks(records, root)
    if "checklists" in needs:
        _checklists(records, root)


# --- subjects ----------------------------------------------------------------------------------------------------

def _subjects(scheme: dict[str, Any], root: Organization) -> tuple[list[Subject], dict[int, mx.PostRecords]]:
    kind = scheme["subject"]
    posts: dict[int, mx.PostRecords] = {}
    if kind == "branch":
        rows = Organization.objects.filter(subtree_q(root.path), kind=OrgKind.BRANCH).order_by("path")
        return [Subject("branch", f"org:{o.pk}", o.pk, o.code, o.name, o.pk, o.path, o.name) for o in rows], posts
    if kind == "member":
        rows = (Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
                .order_by("branch__path", "name", "id").values_list("id", "name", "branch_id", "branch__path",
                                                                    "branch__name"))
        return [Subject("member", f"member:{i}", i, str(i), n, b, p, bn) for i, n, b, p, bn in rows], posts
    if kind == "team":
        rows = (WorkTeam.objects.filter(subtree_q(root.path, "branch__path")).order_by("branch__path", "code")
                .values_list("id", "code", "name", "branch_id", "branch__path", "branch__name"))
        return [Subject("team", f"team:{i}", i, c, n, b, p, bn) for i, c, n, b, p, bn in rows], posts
    rows = (Post.objects.filter(subtree_q(root.path, "org__path"), kind__in=scheme["post_kinds"], active=True)
            .order_by("org__path", "kind", "name", "id")
            .values_list("id", "name", "kind", "org_id", "org__path", "org__name", "holder_id", "holder__name"))
    subjects = []
    for i, name, pk, org_id, path, org_name, holder_id, holder_name in rows:
        posts[i] = mx.PostRecords(i, name, pk, org_id, holder_id, holder_name or "")
        shown = f"{name}（{holder_name}）" if holder_name else name
        subjects.append(Subject("post", f"post:{i}", i, str(i), shown, org_id, path, org_name))
    return subjects, posts


# --- branches and the compliance engine ---------------------------------------------------------------------------

def _branches(records: mx.Records, root: Organization) -> None:
    if records.branches:
        return
    for pk, code, name, path in (Organization.objects.filter(subtree_q(root.path), kind=OrgKind.BRANCH)
                                 .values_list("id", "code", "name", "path")):
        records.branches[pk] = mx.BranchRecords(pk, code, name, path)


def _quorum_kinds(book: TemplateChooser) -> set[str]:
    known = default_templates()
    kinds = {k for k, content in known.items() if (content.get("quorum") or {}).get("rule")}
    return kinds | {k for k, versions in book.versions.items() if any((v.content.get("quorum") or {}).get("rule")
                                                                    for v in versions)}


def compliance_facts(root: Organization, year: int, kinds: set[str] | None = None) -> ce.Facts:
    """The compliance engine's facts of the subtree for `year`: organizations, party members with committee
    posts, the year's activities (of `kinds` only, when given) with the quorum counts of those whose template
    sets a quorum (no absence rows)."""
    orgs = list(Organization.objects.filter(subtree_q(root.path)).order_by("path"))
    has_post = Exists(MemberPost.objects.filter(member_id=OuterRef("pk"), post__in=COMMITTEE_POSTS))
    posts: dict[int, int] = defaultdict(int)
    members = []
    for *row, post in (Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
                       .annotate(post=has_post).order_by("name", "id")
                       .values_list("id", "name", "branch_id", "category", "admitted_on", "full_on", "post")):
        members.append(ce.MemberFact(*row))
        posts[row[2]] += bool(post)
    book = TemplateChooser(orgs)
    by_id = {o.pk: o for o in orgs}
    start, end = local_start(dt.date(year, 1, 1)), local_start(dt.date(year + 1, 1, 1))
    org_ids = Organization.objects.filter(subtree_q(root.path)).values("id")
    # starts_at as its UTC text (no datetime conversion of every row): the local day comes from a small cache
    # (the kinds are filtered here, not in SQL: a `kind IN` makes SQLite read every year through the kind index)
    rows = [r for r in Activity.objects.filter(org_id__in=org_ids, starts_at__gte=start, starts_at__lt=end)
            .annotate(utc=Cast("starts_at", CharField())).order_by("starts_at", "id")
            .values_list("id", "code", "org_id", "kind", "utc", "status") if kinds is None or r[3] in kinds]
    local_day = _LocalDays(timezone.get_current_timezone())
    days = {r[0]: local_day(r[4]) for r in rows}
    counts = _quorum_counts(org_ids, _quorum_kinds(book), start, end, dt.date(year, 1, 1), days)
    known, standard = default_templates(), {}
    quorum_of: dict[str, dict] = {}  # the quorum rule of each kind's standard template
    activities = []
    for aid, code, org_id, kind, _starts, status in rows:
        template: WorkTemplate | None
        if kind not in known:
            template = None
        elif book.versions.get(kind):
            template = book.choose(kind, by_id[org_id], days[aid])
        else:
            template = standard.get(kind) or standard.setdefault(kind, book.choose(kind, by_id[org_id], days[aid]))
        if template is None:
            rule = {}
        elif book.versions.get(kind):
            rule = template.quorum or {}
        else:  # the standard template of the kind, the same object every time
            rule = quorum_of.get(kind)
            if rule is None:
                rule = quorum_of[kind] = template.quorum or {}
        base = present = 0
        if rule.get("rule"):
            c = counts.get(aid, (0, 0, 0, 0))
            base, present = (c[2], c[3]) if rule.get("of") == "voting" else (c[0], c[1])
        activities.append(ce.ActivityFact(aid, code, org_id, kind, days[aid], status,
                                          quorum_base=base if rule.get("rule") else None, quorum_present=present))
    org_facts = [ce.OrgFact(o.pk, o.code, o.name, o.kind, o.path, o.founded_on, o.term_ends_on, posts.get(o.pk, 0))
                 for o in orgs]
    return ce.Facts(orgs=org_facts, members=members, activities=activities, attendance=[])


class _LocalDays:
    """The local date of a UTC timestamp given as text ("2026-01-15 07:00:00[.ffffff][+00]"), cached per minute."""

    def __init__(self, tz) -> None:
        self.tz, self.cache = tz, {}

    def __call__(self, text: str) -> dt.date:
        key = text[:16]
        day = self.cache.get(key)
        if day is None:
            moment = dt.datetime.fromisoformat(key).replace(tzinfo=dt.UTC)
            day = self.cache[key] = moment.astimezone(self.tz).date()
        return day


def _quorum_counts(org_ids, kinds: set[str], start: dt.datetime, end: dt.datetime, first: dt.date,
                   days: dict[int, dt.date]) -> dict[int, list[int]]:
    """Per held activity of a kind with a quorum: [rows, present, rows of full members, present full members],
    a member counting as full only from their 转正 date (as in compliance.facts)."""
    counts: dict[int, list[int]] = {}
    if not kinds:
        return counts
    full = Case(When(member__category=Category.FULL, then=Value(True)), default=Value(False),
                output_field=BooleanField())
    late = Case(When(member__category=Category.FULL, member__full_on__gt=first, then=F("member__full_on")),
                default=None, output_field=DateField())
    rows = (Attendance.objects.filter(activity__org_id__in=org_ids, activity__kind__in=kinds,
                                      activity__status__in=HELD_STATUSES, activity__starts_at__gte=start,
                                      activity__starts_at__lt=end)
            .annotate(full=full, late=late).values("activity_id", "status", "full", "late").annotate(n=Count("id"))
            .values_list("activity_id", "status", "full", "late", "n"))
    for aid, status, is_full, late_on, n in rows:
        c = counts.setdefault(aid, [0, 0, 0, 0])
        present = status == AttendanceStatus.PRESENT
        c[0] += n
        c[1] += n if present else 0
        if is_full and aid in days and (late_on is None or late_on <= days[aid]):
            c[2] += n
            c[3] += n if present else 0
    return counts


def load_compliance(records: mx.Records, root: Organization) -> None:
    """Run the compliance engine once for the subtree and file its results under each branch."""
    from dangjian.compliance.services import overrides_for

    pack = load_pack()
    overrides = overrides_for(root.path)
    kinds = {r["activity"] for r in pack["rules"].values() if r.get("activity")} | set(mx.ACTIVITY_KINDS)
    cfacts = compliance_facts(root, records.year, kinds)
    result = ce.check(cfacts, pack, records.year, records.as_of, overrides)
    file_compliance(records, cfacts, result, pack, overrides)


def _branch_of(org: ce.OrgFact, ids_by_path: dict[str, int], records: mx.Records) -> int | None:
    if org.id in records.branches:
        return org.id
    if org.kind == OrgKind.GROUP:
        parent = ids_by_path.get(org.path[:-STEP])
        return parent if parent in records.branches else None
    return None


def file_compliance(records: mx.Records, cfacts: ce.Facts, result: ce.Result, pack: dict[str, Any],
                    overrides: dict | None) -> None:
    """Pure: the compliance facts and findings filed under each branch (a group's under its branch): the periods
    each frequency rule required (ended and judged, as the engine judges them) and whether each was met, the
    held activities in the period, the findings of the year, and the branch's full members and committee posts."""
    ids_by_path = {o.path: o.id for o in cfacts.orgs}
    branch_of = {o.id: b for o in cfacts.orgs if (b := _branch_of(o, ids_by_path, records)) is not None}
    # the activities that count toward a frequency rule (held, quorum not failed), by (org, kind, month index)
    counted: dict[tuple[int, str], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a in cfacts.activities:
        if a.status not in ce.HELD:
            continue
        if a.quorum_base is None or (a.quorum_base > 0 and a.quorum_present * 2 > a.quorum_base):
            counted[(a.org_id, a.kind)][a.day.year * 12 + a.day.month - 1].append(a.code)
        branch_id = branch_of.get(a.org_id)
        if branch_id is not None and records.start <= a.day <= records.end:
            records.branches[branch_id].activities.append(a)  # an ActivityFact reads as an ActivityRecord
    members_of: dict[int, list[ce.MemberFact]] = defaultdict(list)
    for m in cfacts.members:
        members_of[m.branch_id].append(m)
    failed = {(f.rule, f.org, f.period) for f in result.findings}
    threshold = pack["rules"].get("ZB-ORG-COMMITTEE", {}).get("params", {}).get("committee_threshold", 7)
    code_branch = {}
    for org in cfacts.orgs:
        branch_id = branch_of.get(org.id)
        if branch_id is None:
            continue
        code_branch[org.code] = branch_id
        b = records.branches[branch_id]
        if org.id == branch_id:
            b.term_ends_on = org.term_ends_on
            b.committee_posts = org.committee_posts
            b.full_members = sum(1 for m in members_of[org.id] if m.is_full_on(records.as_of))
            b.committee_threshold = threshold
        full_dates = sorted(dt.date.min if m.full_on is None else m.full_on
                            for m in members_of[org.id] if m.category == Category.FULL)
        for rule in effective_rules(pack, org.path, overrides).values():
            if rule["enabled"] and rule["check"] == "frequency" and rule["holder"] == org.kind:
                b.checks.extend(_rule_checks(rule, org, full_dates, counted.get((org.id, rule["activity"]), {}),
                                             failed, records))
    checks_of = {code: rule["check"] for code, rule in pack["rules"].items()}
    for f in result.findings:
        branch_id = code_branch.get(f.org)
        if branch_id is not None:
            records.branches[branch_id].findings.append(
                mx.FindingRecord(f.rule, checks_of.get(f.rule, ""), f.severity, f.period, f.message))


@lru_cache(maxsize=64)
def _periods(kind: str, year: int) -> tuple[ce.Period, ...]:
    return tuple(ce.periods(kind, year))


def _rule_checks(rule: dict[str, Any], org: ce.OrgFact, full_dates: list[dt.date], by_month: dict[int, list[str]],
                 failed: set, records: mx.Records) -> list[mx.PeriodCheck]:
    """The ended periods of the span that a frequency rule required of `org`, judged as ce._frequency judges
    them (from the founding date on; a rule with min_full_members only where the organization had that many
    full members at the period's end), each met unless the engine found it unmet."""
    params = rule["params"]
    need = params.get("min_full_members")
    out = []
    for period in _periods(params["period"], records.year):
        if period.start < records.start or period.end > records.end or period.end >= records.as_of:
            continue  # outside the span, or not ended: only ended periods count
        if org.founded_on is not None and period.start < org.founded_on:
            continue
        if need is not None and bisect_right(full_dates, period.end) < need:
            continue
        first, last = ce.month_index(period.start), ce.month_index(period.end)
        counted = [code for i in range(first, last + 1) for code in by_month.get(i, ())]
        met = (rule["code"], org.code, period.label) not in failed
        out.append(mx.PeriodCheck(rule["code"], rule["activity"], org.code, period.label, met, tuple(counted)))
    return out


# --- members, teams, points ---------------------------------------------------------------------------------------

def _members(records: mx.Records, root: Organization) -> None:
    if records.members:
        return
    for pk, name, branch_id, category, team_id in (
            Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
            .order_by("name", "id").values_list("id", "name", "branch_id", "category", "team_id")):
        records.members[pk] = mx.MemberRecords(pk, name, branch_id, category, team_id)
        if branch_id in records.branches:
            records.branches[branch_id].member_ids.append(pk)


def _pipeline(records: mx.Records, root: Organization) -> None:
    for branch_id, category, n in (Member.objects.filter(subtree_q(root.path, "branch__path"),
                                                         category__in=(Category.ACTIVIST, Category.CANDIDATE))
                                   .values("branch_id", "category").annotate(n=Count("id"))
                                   .values_list("branch_id", "category", "n")):
        b = records.branches.get(branch_id)
        if b is not None:
            setattr(b, "activists" if category == Category.ACTIVIST else "candidates", n)


def _teams(records: mx.Records, root: Organization) -> None:
    for pk, code, name, branch_id, staff in (WorkTeam.objects.filter(subtree_q(root.path, "branch__path"))
                                             .order_by("code").values_list("id", "code", "name", "branch_id",
                                                                           "staff_count")):
        records.teams[pk] = mx.TeamRecords(pk, code, name, branch_id, [], staff)
        if branch_id in records.branches:
            records.branches[branch_id].team_ids.append(pk)
    for m in records.members.values():
        if m.team_id in records.teams:
            records.teams[m.team_id].member_ids.append(m.id)


def _points_module():
    try:
        from dangjian.points import selectors
        from dangjian.points.models import PointEntry
    except ImportError:  # the points app is not there yet
        return None, None
    return selectors, PointEntry


def _points(records: mx.Records, root: Organization) -> None:
    selectors, entry = _points_module()
    if selectors is None or not hasattr(selectors, "year_totals"):
        return
    if not entry.objects.filter(subtree_q(root.path, "org__path"), year=records.year).exists():
        records.points_missing = f"党员积分尚未计算（{records.year}年没有积分记录）"
        return
    records.points = {mid: r.total for mid, r in selectors.year_totals(root, records.year).items()}


def _month_points(records: mx.Records, root: Organization) -> None:
    selectors, entry = _points_module()
    if selectors is None or not hasattr(selectors, "year_table"):
        return
    if not entry.objects.filter(subtree_q(root.path, "org__path"), year=records.year).exists():
        records.points_missing = f"党员积分尚未计算（{records.year}年没有积分记录）"
        return
    period = None if records.period == str(records.year) else records.period
    table = selectors.year_table(root, records.year, period=period)
    records.month_points = {r.member_id: r.total for r in table.rows}


# --- attendance, appraisals, tasks, checklists ---------------------------------------------------------------------

def _held_in(records: mx.Records, root: Organization, prefix: str = "activity__") -> Q:
    return Q(**{f"{prefix}org_id__in": Organization.objects.filter(subtree_q(root.path)).values("id"),
                f"{prefix}status__in": HELD_STATUSES,
                f"{prefix}starts_at__gte": local_start(records.start),
                f"{prefix}starts_at__lt": local_start(records.end + dt.timedelta(days=1))})


def _attendance(records: mx.Records, root: Organization, member_ids: set[int] | None, single: bool) -> None:
    """Attendance rows per member and status in the period (one GROUP BY); with `single`, also the codes of the
    activities missed (for one subject's card)."""
    qs = Attendance.objects.filter(_held_in(records, root))
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    for mid, status, n in qs.values("member_id", "status").annotate(n=Count("id")).values_list("member_id", "status",
                                                                                                "n"):
        m = records.members.get(mid)
        if m is not None:
            m.attendance[status] = n
    if single:
        for mid, code in (qs.filter(status=AttendanceStatus.ABSENT).order_by("activity__starts_at")
                          .values_list("member_id", "activity__code")):
            if mid in records.members:
                records.members[mid].attendance_codes.append(code)


def _appraisals(records: mx.Records, root: Organization) -> None:
    # 民主评议 is yearly: the appraisals of the period's calendar year count, whatever the period
    span = mx.Records(records.year, records.period, dt.date(records.year, 1, 1), dt.date(records.year, 12, 31),
                      records.as_of)
    for mid, grade, code in (Appraisal.objects.filter(_held_in(span, root))
                             .order_by("activity__starts_at", "id").values_list("member_id", "grade", "activity__code")):
        m = records.members.get(mid)
        if m is not None:
            m.appraisal = (grade, code)  # the latest of the year wins


def _tasks(records: mx.Records, root: Organization) -> None:
    paths = {}
    for pk, path in Organization.objects.filter(subtree_q(root.path)).values_list("id", "path"):
        paths[pk] = path
    ids_by_path = {p: i for i, p in paths.items()}
    tz = timezone.get_current_timezone()
    for pk, title, org_id, deadline, status, closed_at in (
            RectificationTask.objects.filter(subtree_q(root.path, "org__path"), year=records.year)
            .order_by("deadline", "id").values_list("id", "title", "org_id", "deadline", "status", "closed_at")):
        branch_id = org_id if org_id in records.branches else ids_by_path.get(paths.get(org_id, "")[:-STEP])
        if branch_id not in records.branches:
            continue
        closed_on = closed_at.astimezone(tz).date() if status in CLOSED_STATUSES and closed_at else None
        records.branches[branch_id].tasks.append(mx.TaskRecord(pk, title, deadline, closed_on))


def _checklists(records: mx.Records, root: Organization) -> None:
    for pk, title, org_id, member_id, due_on, done_on in (
            ChecklistItem.objects.filter(subtree_q(root.path, "org__path"), year=records.year)
            .order_by("due_on", "id").values_list("id", "title", "org_id", "member_id", "due_on", "done_on")):
        item = mx.ChecklistRecord(pk, title, due_on, done_on)
        if member_id is None:
            if org_id in records.branches:
                records.branches[org_id].checklist.append(item)
        elif member_id in records.members:
            records.members[member_id].checklist.append(item)


# --- reviewer scores, vetoes, KPI ---------------------------------------------------------------------------------

def _user_label(display: str | None, username: str | None) -> str:
    return display or username or ""


def _reviewer(facts: SchemeFacts, scheme: dict[str, Any], root: Organization, span: Span,
              evaluation: Evaluation | None) -> None:
    if evaluation is not None:
        evaluations = Evaluation.objects.filter(pk=evaluation.pk)
    else:
        evaluations = Evaluation.objects.filter(subtree_q(root.path, "org__path"), scheme=scheme["code"],
                                                period=span.label).exclude(status=EvaluationStatus.SUPERSEDED)
    keys = {s.key for s in facts.subjects}
    rank = {"self": 0, "review": 1}
    for key, item, stage, points, note, evidence, display, username in (
            ItemScore.objects.filter(evaluation__in=evaluations)
            .values_list("evaluation__subject_key", "item", "stage", "points", "note", "evidence",
                         "by__display_name", "by__username")):
        if key not in keys:
            continue
        current = facts.reviewer.get((key, item))
        if current is None or rank.get(stage, 0) >= rank.get(current.stage, 0):
            facts.reviewer[(key, item)] = ReviewerScore(Decimal(points), stage, _user_label(display, username),
                                                        note, evidence)
    for key, veto, reason, display, username in (
            VetoMark.objects.filter(evaluation__in=evaluations).order_by("veto")
            .values_list("evaluation__subject_key", "veto", "reason", "by__display_name", "by__username")):
        if key in keys:
            facts.vetoes.setdefault(key, []).append(VetoFact(veto, reason, _user_label(display, username)))


def _kpi(root: Organization, span: Span, post_ids: list[int]) -> dict[str, list[KpiFact]]:
    out: dict[str, list[KpiFact]] = {f"post:{i}": [] for i in post_ids}
    values = {iid: (target, actual) for iid, target, actual in
              KpiValue.objects.filter(indicator__post__in=Post.objects.filter(subtree_q(root.path, "org__path")),
                                      period=span.label).values_list("indicator_id", "target", "actual")}
    for iid, post_id, code, name, unit, coef, higher in (
            KpiIndicator.objects.filter(subtree_q(root.path, "post__org__path"), from_year__lte=span.year)
            .order_by("post_id", "code").values_list("id", "post_id", "code", "name", "unit", "coefficient",
                                                     "higher_is_better")):
        key = f"post:{post_id}"
        if key in out:
            target, actual = values.get(iid, (None, None))
            out[key].append(KpiFact(code, name, unit, Decimal(coef), higher, target, actual, span.label))
    return out
