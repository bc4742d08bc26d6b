"""Automatic points derived from the records: attendance (出席/缺席), volunteer service, 民主评议 grades and the
automatic rules of special assessments (attendance of activities carrying a 党建+ tag or of a kind).

Accrual is idempotent. For a subtree and a year it computes the desired automatic entries from the records
— one per (record, rule), keyed by `source_key` — and compares them with the live automatic entries (not
reversed, not a reversal) of the same scope: an entry whose rule or points differ, or whose record is gone,
is reversed (reason "记录变更：…") and the desired one written; nothing is written when nothing changed.
The records are streamed (values_list + iterator, no model instances), the writes are bulk_create in
batches, and the number of queries does not depend on the number of members or activities.

The pack used for a record is the one in force for the member's branch on the record's date.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core.audit import audit_log
from dangjian.core.models import AuditAction
from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, ActivityKind, ActivityStatus, Appraisal, Attendance
from dangjian.orgs.models import Member, Organization, OrgKind

from . import pack as packs
from .models import EntrySource, PointEntry, SpecialAssessment
from .selectors import chooser_for

HELD_STATUSES = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)
BATCH = 2000
STATUS_WORDS = {"present": "出席", "leave": "请假", "absent": "缺席"}


@dataclass
class AccrualReport:
    created: int = 0
    reversed: int = 0
    members: int = 0
    years: list[int] = field(default_factory=list)
    _touched: set[int] = field(default_factory=set, repr=False)

    def add(self, other: "AccrualReport") -> None:
        self.created += other.created
        self.reversed += other.reversed
        self._touched |= other._touched
        self.members = len(self._touched)
        self.years = sorted(set(self.years) | set(other.years))

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reversed)


class Desired(NamedTuple):
    rule: str
    category: str
    points: Decimal
    member_id: int
    activity_id: int
    day: dt.date
    assessment_id: int | None
    label: str  # what the record says, for the reasons
    name: str  # the rule's name


def local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- rules per pack -------------------------------------------------------------------------------------

def _auto_lookup(pack: dict[str, Any]) -> dict[tuple[str, str], tuple[dict, str]]:
    """(activity kind, attendance status) → (rule, source-key prefix) for the pack's attendance rules.

    An activity kind that has its own rule (metric activity_kind, e.g. 志愿服务) counts only there (present);
    the other kinds count by the attendance rules (optionally limited to the listed activity kinds).
    """
    rules = pack["rules"].values()
    by_kind = {r["activity"]: r for r in rules if r["kind"] == "auto" and r.get("metric") == "activity_kind"}
    by_status = {r["status"]: r for r in rules if r["kind"] == "auto" and r.get("metric") == "attendance"}
    out: dict[tuple[str, str], tuple[dict, str]] = {}
    for kind in ActivityKind.values:
        for status in packs.ATTENDANCE_STATUSES:
            if kind in by_kind:
                if status == "present":
                    out[(kind, status)] = (by_kind[kind], kind)
                continue
            rule = by_status.get(status)
            if rule is not None and ("activities" not in rule or kind in rule["activities"]):
                out[(kind, status)] = (rule, "attendance")
    return out


def _appraisal_rule(pack: dict[str, Any]) -> dict | None:
    return next((r for r in pack["rules"].values() if r["kind"] == "auto" and r.get("metric") == "appraisal"), None)


class _Rules:
    """Caches the per-pack lookups (most subtrees use one pack)."""

    def __init__(self, chooser: packs.PackChooser):
        self.chooser = chooser
        self._lookups: dict[int, Any] = {}

    def attendance(self, path: str, day: dt.date) -> dict[tuple[str, str], tuple[dict, str]]:
        pack = self.chooser.pack_for(path, day)
        key = id(pack)
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = _auto_lookup(pack)
        return found

    def fixed(self) -> dict[tuple[str, str], tuple[dict, str]] | None:
        """The one lookup for every record when no pack version applies anywhere in the subtree."""
        return _auto_lookup(self.chooser.default) if self.chooser.trivial else None

    def appraisal(self, path: str, day: dt.date) -> dict | None:
        return _appraisal_rule(self.chooser.pack_for(path, day))


# --- the records ------------------------------------------------------------------------------------------

@dataclass
class _Scope:
    root: Organization
    year: int

    @property
    def is_top(self) -> bool:
        return self.root.depth == 1

    def activity_q(self, prefix: str = "") -> Q:
        if self.is_top:
            return Q(**{f"{prefix}top_org_id": self.root.pk})
        return subtree_q(self.root.path, f"{prefix}org__path")

    def activities(self):
        start, end = local_start(dt.date(self.year, 1, 1)), local_start(dt.date(self.year + 1, 1, 1))
        return Activity.objects.filter(self.activity_q(), starts_at__gte=start, starts_at__lt=end)


@dataclass
class _Facts:
    days: dict[int, dt.date]
    kinds: dict[int, str]
    tags: dict[int, list]
    members: dict[int, tuple[int, str]]  # member id → (branch id, branch path)
    tops: dict[str, int]  # top-level path → org id


def _load_facts(scope: _Scope) -> _Facts:
    tz = timezone.get_current_timezone()
    days, kinds, tags = {}, {}, {}
    for pk, kind, starts_at, tag_list in (scope.activities().filter(status__in=HELD_STATUSES)
                                          .values_list("id", "kind", "starts_at", "tags").iterator(chunk_size=20000)):
        days[pk] = starts_at.astimezone(tz).date()
        kinds[pk] = kind
        if tag_list:
            tags[pk] = tag_list
    # A 党小组's activities are attended by its branch's members.
    member_root = scope.root.path[:-Organization.steplen] if scope.root.kind == OrgKind.GROUP else scope.root.path
    members = {pk: (branch_id, path) for pk, branch_id, path in
               Member.objects.filter(subtree_q(member_root, "branch__path"))
               .values_list("id", "branch_id", "branch__path").iterator(chunk_size=20000)}
    tops = dict(Organization.objects.filter(depth=1).values_list("path", "id"))
    return _Facts(days, kinds, tags, members, tops)


def stream(qs, chunk: int = 20000) -> Iterator[tuple]:
    """The rows of a values_list() queryset as the database gives them (no per-row conversion), read in chunks
    through Django's chunked cursor (a server-side cursor on PostgreSQL)."""
    sql, params = qs.query.sql_with_params()
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows
    finally:
        cursor.close()


def _attendance_rows(scope: _Scope) -> Iterator[tuple[int, int, int, str]]:
    held = scope.activities().filter(status__in=HELD_STATUSES).values("pk")
    return stream(Attendance.objects.filter(activity_id__in=held).order_by()
                  .values_list("id", "activity_id", "member_id", "status"))


def _latest_appraisals(scope: _Scope) -> dict[int, tuple[int, int, str, dt.datetime]]:
    """member id → (appraisal id, activity id, grade, starts_at) of the year's latest 民主评议 of the member."""
    latest: dict[int, tuple[int, int, str, dt.datetime]] = {}
    rows = (Appraisal.objects.filter(activity__in=scope.activities().filter(kind=ActivityKind.MEMBER_APPRAISAL)
                                     .values("pk"))
            .order_by("activity__starts_at", "activity_id", "id")
            .values_list("id", "activity_id", "member_id", "grade", "activity__starts_at"))
    for pk, activity_id, member_id, grade, starts_at in rows:
        latest[member_id] = (pk, activity_id, grade, starts_at)
    return latest


def _specials(scope: _Scope) -> list[tuple[SpecialAssessment, list[dict]]]:
    """Active specials with automatic rules whose window meets the year and that reach into the subtree."""
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    out = []
    for special in (SpecialAssessment.objects.filter(active=True, starts_on__lte=last, ends_on__gte=first)
                    .filter(Q(org__path__in=packs.ancestor_paths(scope.root.path))
                            | subtree_q(scope.root.path, "org__path")).select_related("org")):
        rules = [r for r in packs.validate_special_rules(special.rules, special.name) if r["kind"] == "auto"]
        if rules:
            out.append((special, rules))
    return out


def _desired(scope: _Scope, facts: _Facts, rules: _Rules) -> Iterator[tuple[tuple, Desired]]:
    """(key, desired entry) for every record of the scope. Key: (special id or 0, source_key).

    The loop over the attendance runs once per row of a whole group (millions): keep it flat."""
    specials = _specials(scope)
    acts: dict[int, tuple[dt.date, str, list]] = {}
    for aid, day in facts.days.items():
        kind = facts.kinds[aid]
        acts[aid] = (day, kind, [(s, r) for s, rs in specials for r in rs
                                 if s.starts_on <= day <= s.ends_on
                                 and ("activity" not in r or r["activity"] == kind)
                                 and ("tag" not in r or r["tag"] in facts.tags.get(aid, ()))])
    fixed = rules.fixed()
    members = facts.members
    missing = set()
    for att_id, activity_id, member_id, status in _attendance_rows(scope):
        member = members.get(member_id)
        if member is None:
            missing.add(member_id)
            continue
        day, kind, matches = acts[activity_id]
        found = (fixed if fixed is not None else rules.attendance(member[1], day)).get((kind, status))
        if found is not None:
            rule, prefix = found
            yield (0, f"{prefix}:{att_id}"), Desired(rule["code"], rule["category"], rule["points"], member_id,
                                                     activity_id, day, None, STATUS_WORDS[status], rule["name"])
        if matches:
            yield from _for_specials(att_id, activity_id, member_id, status, member[1], day, matches)
    if missing:  # people from outside the subtree who attended (rare): one more query for their branches
        members.update({pk: (b, p) for pk, b, p in Member.objects.filter(pk__in=missing)
                        .values_list("id", "branch_id", "branch__path")})
        held = scope.activities().filter(status__in=HELD_STATUSES).values("pk")
        for att_id, activity_id, member_id, status in (Attendance.objects.filter(
                activity_id__in=held, member_id__in=missing)
                .values_list("id", "activity_id", "member_id", "status")):
            path = members[member_id][1]
            day, kind, matches = acts[activity_id]
            found = rules.attendance(path, day).get((kind, status))
            if found is not None:
                rule, prefix = found
                yield (0, f"{prefix}:{att_id}"), Desired(rule["code"], rule["category"], rule["points"], member_id,
                                                         activity_id, day, None, STATUS_WORDS[status], rule["name"])
            yield from _for_specials(att_id, activity_id, member_id, status, path, day, matches)
    yield from _for_appraisals(scope, facts, rules)


def _for_specials(att_id, activity_id, member_id, status, path, day, matches):
    for special, rule in matches:
        if rule["status"] == status and path.startswith(special.org.path):
            yield (special.pk, f"{rule['code']}:{att_id}"), Desired(
                rule["code"], packs.SPECIAL_CATEGORY, rule["points"], member_id, activity_id, day, special.pk,
                STATUS_WORDS[status], f"{special.name}·{rule['name']}")


def _for_appraisals(scope: _Scope, facts: _Facts, rules: _Rules):
    tz = timezone.get_current_timezone()
    latest = _latest_appraisals(scope)
    extra = set(latest) - set(facts.members)
    if extra:
        facts.members.update({pk: (b, p) for pk, b, p in Member.objects.filter(pk__in=extra)
                              .values_list("id", "branch_id", "branch__path")})
    for member_id, (pk, activity_id, grade, starts_at) in latest.items():
        day = starts_at.astimezone(tz).date()
        rule = rules.appraisal(facts.members[member_id][1], day)
        if rule is None or grade not in rule["grades"]:
            continue
        yield (0, f"appraisal:{pk}"), Desired(rule["code"], rule["category"], rule["grades"][grade], member_id,
                                              activity_id, day, None, f"民主评议{grade}", rule["name"])


# --- the ledger -----------------------------------------------------------------------------------------

def _live_auto(scope: _Scope, activity_id: int | None = None):
    qs = PointEntry.objects.filter(source=EntrySource.AUTO, year=scope.year, reverses__isnull=True,
                                   reversed_by__isnull=True)
    if scope.is_top:
        qs = qs.filter(top_org_id=scope.root.pk)
    else:
        qs = qs.filter(subtree_q(scope.root.path, "activity__org__path")
                       | (Q(activity__isnull=True) & subtree_q(scope.root.path, "org__path")))
    return qs.order_by().values_list("id", "assessment_id", "source_key", "rule", "points", "member_id")


ENTRY_COLUMNS = ("member_id", "org_id", "top_org_id", "assessment_id", "rule", "category", "points", "occurred_on",
                 "year", "period", "slot", "source", "source_key", "activity_id", "claim_id", "reverses_id", "reason",
                 "created_by_id", "approved_by_id", "created_at")


class _Inserter:
    """Bulk INSERT of ledger rows (executemany in batches), values prepared by the model's own fields.

    Accrual writes up to millions of rows: building a model instance per row and compiling bulk_create's SQL
    for every batch cost ten times the database's own work, so the rows go in as tuples of column values."""

    def __init__(self):
        meta = PointEntry._meta
        fields = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
        assert set(fields) == set(ENTRY_COLUMNS), "PointEntry changed: update ENTRY_COLUMNS"
        quote = connection.ops.quote_name
        columns = ", ".join(quote(fields[name].column) for name in ENTRY_COLUMNS)
        marks = ", ".join(["%s"] * len(ENTRY_COLUMNS))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
        self._points, self._days = fields["points"], fields["occurred_on"]
        self._prepped: dict[Any, Any] = {}
        self.now = fields["created_at"].get_db_prep_save(timezone.now(), connection)
        self.rows: list[tuple] = []

    def points(self, value: Decimal):
        key = ("p", value)
        if key not in self._prepped:
            self._prepped[key] = self._points.get_db_prep_save(value, connection)
        return self._prepped[key]

    def day(self, value: dt.date):
        key = ("d", value)
        if key not in self._prepped:
            self._prepped[key] = self._days.get_db_prep_save(value, connection)
        return self._prepped[key]

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows = []


class _Writer:
    """Collects new entries and reversals and writes them in batches."""

    def __init__(self, actor, report: AccrualReport):
        self.actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
        self.report = report
        self.out = _Inserter()
        self.to_reverse: dict[int, str] = {}

    def create(self, key: tuple, want: Desired, facts: _Facts) -> None:
        branch_id, path = facts.members[want.member_id]
        out, day = self.out, want.day
        out.add((want.member_id, branch_id, facts.tops[path[:Organization.steplen]], want.assessment_id, want.rule,
                 want.category, out.points(want.points), out.day(day), day.year, f"{day.year}-{day.month:02d}", "",
                 EntrySource.AUTO, key[1], want.activity_id, None, None, f"自动：{want.name}（{want.label}）",
                 self.actor_id, None, out.now))
        self.report.created += 1
        self.report._touched.add(want.member_id)

    def reverse(self, entry_id: int, member_id: int, reason: str) -> None:
        self.to_reverse[entry_id] = reason
        self.report._touched.add(member_id)

    def finish(self) -> None:
        self.out.flush()
        ids = list(self.to_reverse)
        out = self.out
        for i in range(0, len(ids), BATCH):
            for (pk, member_id, org_id, top_id, special_id, rule, category, points, day, year, period, slot, source,
                 source_key, activity_id, claim_id) in (PointEntry.objects.filter(pk__in=ids[i:i + BATCH])
                                                        .values_list("id", *ENTRY_COLUMNS[:15])):
                out.add((member_id, org_id, top_id, special_id, rule, category, out.points(-points), out.day(day), year,
                         period, slot, source, source_key, activity_id, claim_id, pk, self.to_reverse[pk],
                         self.actor_id, None, out.now))
                self.report.reversed += 1
        out.flush()
        self.report.members = len(self.report._touched)


def _accrue_scope(scope: _Scope, actor) -> AccrualReport:
    report = AccrualReport(years=[scope.year])
    chooser = chooser_for(scope.root)
    facts = _load_facts(scope)
    live: dict[tuple, tuple[int, str, Any, int]] = {}
    for pk, special_id, source_key, rule, points, member_id in stream(_live_auto(scope)):
        key = (special_id or 0, source_key)
        if key in live:  # a duplicate live entry (should not exist): keep one, reverse the other
            live.setdefault(("dup", pk), (pk, rule, points, member_id))
            continue
        live[key] = (pk, rule, points, member_id)
    writer = _Writer(actor, report)
    for key, want in _desired(scope, facts, _Rules(chooser)):
        have = live.pop(key, None)
        if have is not None:
            if have[1] == want.rule and abs(float(have[2]) - float(want.points)) < 0.01 and have[3] == want.member_id:
                continue  # unchanged (the raw value is a float or int on SQLite, a Decimal on PostgreSQL)
            writer.reverse(have[0], have[3], f"记录变更：{want.label}，按新记录重新计分")
        writer.create(key, want, facts)
    for pk, _rule, _points, member_id in live.values():
        writer.reverse(pk, member_id, "记录变更：原记录已删除或不再计分")
    writer.finish()
    return report


def _audit(root: Organization, report: AccrualReport, actor, source: str, what: str) -> None:
    if report.changed:
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=root, before={"积分核算": None},
                  after={"积分核算": what, "年度": report.years, "新增记录": report.created,
                         "冲销记录": report.reversed, "涉及党员": report.members},
                  org_path=root.path, source=source)


@transaction.atomic
def accrue(*, root: Organization, year: int, actor=None, source: str = "cli") -> AccrualReport:
    """Bring the automatic entries of `root`'s subtree for `year` in line with the records."""
    if not 1900 < int(year) < 2200:
        raise ValueError(f"年度“{year}”无效")
    report = _accrue_scope(_Scope(root, int(year)), actor)
    _audit(root, report, actor, source, f"{root.name}{year}年自动积分")
    return report


@transaction.atomic
def accrue_activity(*, activity: Activity, actor=None, source: str = "web") -> AccrualReport:
    """Re-derive the automatic entries touched by one activity (its organization's records for its year, and
    any other year its entries were in, e.g. after its date moved)."""
    activity = Activity.objects.select_related("org").get(pk=activity.pk)
    year = timezone.localtime(activity.starts_at).year
    years = {year} | set(PointEntry.objects.filter(activity=activity, source=EntrySource.AUTO)
                         .values_list("year", flat=True).distinct())
    report = AccrualReport()
    for y in sorted(years):
        report.add(_accrue_scope(_Scope(activity.org, y), actor))
    _audit(activity.org, report, actor, source, f"{activity.title}自动积分")
    return report


def accrue_orgs(*, orgs: list[Organization], years: list[int], actor=None, source: str = "import") -> AccrualReport:
    """Accrue several subtrees and years (e.g. the branches an import touched); nested ones are done once."""
    roots: list[Organization] = []
    for org in sorted(orgs, key=lambda o: o.path):
        if not any(org.path.startswith(r.path) for r in roots):
            roots.append(org)
    if len(roots) > MANY_ROOTS:  # many branches: one pass over each group is cheaper than one per branch
        tops = {r.path[:Organization.steplen] for r in roots}
        roots = list(Organization.objects.filter(path__in=tops).order_by("path"))
    report = AccrualReport()
    with transaction.atomic():
        for root in roots:
            for year in sorted(set(years)):
                part = _accrue_scope(_Scope(root, year), actor)
                _audit(root, part, actor, source, f"{root.name}{year}年自动积分")
                report.add(part)
    return report


MANY_ROOTS = 50


def accrue_imported(ctx) -> AccrualReport | None:
    """After a workbook import (inside its transaction): accrue the organizations and years whose activities
    or attendance the import created or changed. Returns None when the import touched no activity."""
    from dangjian.imports.base import CREATED, UPDATED
    from dangjian.imports.sheets.activities import book_of

    activities: dict[int, Activity] = {}
    for state in book_of(ctx).states.values():
        if state.action in (CREATED, UPDATED) and state.obj is not None and state.obj.pk:
            activities[state.obj.pk] = state.obj
    for row in ctx.sheet_rows.get("出勤", []):
        final = getattr(row, "activity", None)
        if row.action in (CREATED, UPDATED) and final is not None:
            obj = final.state.obj if final.state is not None else final.obj
            if obj is not None and obj.pk:
                activities[obj.pk] = obj
    if not activities:
        return None
    years = {timezone.localtime(a.starts_at).year for a in activities.values()}
    years |= set(PointEntry.objects.filter(activity_id__in=list(activities), source=EntrySource.AUTO)
                 .values_list("year", flat=True).distinct())
    orgs = list(Organization.objects.filter(pk__in={a.org_id for a in activities.values()}))
    return accrue_orgs(orgs=orgs, years=sorted(years), actor=ctx.actor, source="import")
