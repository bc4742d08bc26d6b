"""Sheet 活动: activity records (meetings, lectures, theme days …) of 党支部s and 党小组s, keyed by 活动编号.

What an import decides (IMPORT_FORMAT.md leaves these to the system):
- status: a new activity whose start has passed is recorded as 已召开 (also when it has 会议记录: archiving
  is a deliberate step on the activity's page); one still to come is 计划. A re-import never changes the
  status, and a row that would change an 已归档 record is an error (an archived record is final).
- 补录: importing is recording, so the rule of meetings.services applies unchanged — a record entered more
  than `late_entry_days` after the activity is marked 补录; `recorded_at` is the time of the import.
- template_ref is the template in force for the organization on the activity's date (recomputed when the
  organization, type or start time changes); top_org is the organization's 集团 (the root of its chain).
- Columns not in the sheet keep their current values; 记录人, 五定, 步骤 and 标签 are not in the format and
  are kept as they are (empty for a new activity).

The sheet 出勤 (attendance.py) refers to these rows; both share an `ActivityBook` kept per import context.
"""

import datetime as dt
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone

from dangjian.core.audit import snapshot
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    TemplateVersion,
)
from dangjian.meetings.worktemplates import ROLES, WorkTemplate, default_templates
from dangjian.orgs.models import Organization, OrgKind

from ..base import (
    AUDIT_CREATE,
    AUDIT_UPDATE,
    BATCH_SIZE,
    CREATED,
    NO_PERMISSION,
    UNCHANGED,
    UPDATED,
    Change,
    ImportContext,
    SheetHandler,
    saved,
    update_rows,
)
from ..samples import SAMPLE_ID_NUMBER
from ..workbook import CODE, DATETIME, ID_NUMBER, TEXT, Cells, Column, SheetData, SheetRow, SheetSpec

SHEET = "活动"
KIND_BY_LABEL = {k.label: k.value for k in ActivityKind}
KIND_LABELS = "/".join(KIND_BY_LABEL)
SPEC = SheetSpec(SHEET, (
    Column("活动编号", CODE, True, "活动的唯一编码（按文本处理）；再次导入时按活动编号更新，不会重复新增", 22),
    Column("组织编码", CODE, True, "开展活动的党支部或党小组的组织编码（党小组会由党小组开展，其余一般由党支部开展）", 14),
    Column("活动类型", TEXT, True, KIND_LABELS, 12),
    Column("开始时间", DATETIME, True, "日期时间单元格或“YYYY-MM-DD HH:MM”；已过去的活动导入为“已召开”，"
           "活动结束超过规定天数才录入的标为“补录”", 17),
    Column("结束时间", DATETIME, False, "日期时间单元格或“YYYY-MM-DD HH:MM”，不早于开始时间", 17),
    Column("地点", TEXT, False, "", 18),
    Column("主题", TEXT, True, "", 32),
    Column("主持人身份证号", ID_NUMBER, False, "本单位（同一集团）的人员；可以是本工作簿党员表中的人员", 22),
    Column("讲课人身份证号", ID_NUMBER, False, "党课的讲课人，本单位（同一集团）的人员", 22),
    Column("议程", TEXT, False, "每项一行（单元格内换行：Alt+Enter）", 36),
    Column("会议记录", TEXT, False, "", 48),
), help="组织生活记录：支部党员大会、支部委员会、党小组会、党课、主题党日等")

COLUMN = {"code": "活动编号", "org": "组织编码", "kind": "活动类型", "starts_at": "开始时间", "ends_at": "结束时间",
          "place": "地点", "title": "主题", "host": "主持人身份证号", "lecturer": "讲课人身份证号", "agenda": "议程",
          "minutes": "会议记录"}
FIELDS = ["org", "kind", "starts_at", "ends_at", "place", "title", "host", "lecturer", "agenda", "minutes"]
OPTIONAL = {"ends_at": "结束时间", "place": "地点", "host": "主持人身份证号", "lecturer": "讲课人身份证号",
            "agenda": "议程", "minutes": "会议记录"}
PEOPLE = {"host": "主持人身份证号", "lecturer": "讲课人身份证号"}
WRITE_FIELDS = ["org", "top_org", "kind", "template_ref", "title", "starts_at", "ends_at", "place", "host", "lecturer",
                "agenda", "minutes", "late_entry", "recorded_at", "updated_at"]
LOAD_ALL_ACTIVITIES_ABOVE = 500
MAX_LENGTHS: dict[str, int] = {f: getattr(Activity._meta.get_field(f), "max_length", 0) or 0
                               for f in ("code", "title", "place")}
# The rules of meetings.services, applied to a workbook row (see ActivitySheet._check_rules).
check_activity = meeting_services._check
mark_if_late = meeting_services._mark_if_late


def kind_label(kind: str) -> str:
    try:
        return ActivityKind(kind).label
    except ValueError:
        return kind


def local_text(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def local_naive(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime as the naive local time written to a workbook cell."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def multiline(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class ActivityState:
    """An activity as it will be after the import (a row of the sheet)."""

    code: str
    sheet_row: SheetRow
    values: dict[str, Any]  # FIELDS: org code, kind, …, host/lecturer as 身份证号 or None
    obj: Activity | None = None
    current: dict[str, Any] | None = None  # FIELDS of the database row
    action: str = ""
    changed: list[str] = field(default_factory=list)
    before: dict | None = None
    template_ref: str = ""


@dataclass(frozen=True)
class FinalActivity:
    """What the 出勤 sheet needs of an activity in the final state."""

    code: str
    org: str | None
    status: str
    obj: Activity | None  # the database row (also for a row created by this import, after its write)
    state: ActivityState | None  # the 活动 sheet's row, if any


class ActivityBook:
    """The activities an import names: its 活动 rows and the database rows of the codes both sheets use."""

    def __init__(self) -> None:
        self.states: dict[str, ActivityState] = {}
        self.db: dict[str, Activity] = {}
        self._loaded: set[str] = set()
        self._all_loaded = False
        self._versions: list[tuple[int, str, str, dt.date, int, dict]] | None = None
        self._templates: dict[tuple[str, str, dt.date], WorkTemplate] = {}
        self.attendance_before: dict[int, dict[str, str]] = {}  # activity pk → {member pk: status} before
        self._shown: dict[str, int] = {}

    def show_change(self, sheet: str, limit: int) -> bool:
        """Whether to list one more change of a sheet in the preview (a sample of at most `limit`)."""
        self._shown[sheet] = self._shown.get(sheet, 0) + 1
        return self._shown[sheet] <= limit

    def load(self, codes: Iterable[str]) -> None:
        """The database rows of these codes (one query; every activity at once when there are many)."""
        wanted = {c for c in codes if c} - self._loaded
        if not wanted or self._all_loaded:
            return
        qs = Activity.objects.annotate(host_id_number=F("host__id_number"),
                                       lecturer_id_number=F("lecturer__id_number"))
        if len(wanted) > LOAD_ALL_ACTIVITIES_ABOVE:
            self._all_loaded = True
        else:
            qs = qs.filter(code__in=wanted)
        for activity in qs:
            self.db[activity.code] = activity
        self._loaded |= wanted

    def final(self, ctx: ImportContext, code: str) -> FinalActivity | None:
        state = self.states.get(code)
        if state is not None:
            obj = state.obj
            return FinalActivity(code=code, org=state.values["org"], state=state, obj=obj,
                                 status=obj.status if obj is not None else "")
        obj = self.db.get(code)
        if obj is None:
            return None
        return FinalActivity(code=code, org=ctx.org_by_pk[obj.org_id].code, status=obj.status, obj=obj, state=None)

    def template(self, ctx: ImportContext, kind: str, org: str, day: dt.date) -> WorkTemplate:
        """The template in force for an organization (of the final tree) on a date, chosen in memory as
        worktemplates.effective_template does: the nearest own version in force, else the standard."""
        key = (kind, org, day)
        if key in self._templates:
            return self._templates[key]
        if self._versions is None:
            self._versions = [
                (v.pk, v.kind, ctx.org_by_pk[v.org_id].code, v.effective_from, v.org.name, v.content)  # type: ignore
                for v in TemplateVersion.objects.select_related("org")]
        depth = {c: i for i, c in enumerate(ctx.chain(org) or (org,))}
        best: tuple | None = None
        for pk, v_kind, v_org, start, org_name, content in self._versions:
            if v_kind == kind and v_org in depth and start <= day:
                rank = (depth[v_org], start, pk)
                if best is None or rank > best[0]:
                    best = (rank, pk, start, org_name, content)
        if best is not None:
            _, pk, start, org_name, content = best
            chosen = WorkTemplate(kind=kind, content=content, version_id=pk, ref=f"{org_name}版本（{start:%Y-%m-%d}起）")
        else:
            content = default_templates()[kind]
            chosen = WorkTemplate(kind=kind, content=content, ref=f"标准模板 {content['version']}")
        self._templates[key] = chosen
        return chosen


_BOOKS: "weakref.WeakKeyDictionary[ImportContext, ActivityBook]" = weakref.WeakKeyDictionary()


def book_of(ctx: ImportContext) -> ActivityBook:
    book = _BOOKS.get(ctx)
    if book is None:
        book = _BOOKS[ctx] = ActivityBook()
    return book


def top_code(ctx: ImportContext, org: str | None) -> str | None:
    chain = ctx.chain(org) if org else None
    return chain[0] if chain else None


def person_name(ctx: ImportContext, id_number: str | None) -> str:
    if not id_number:
        return ""
    view = ctx.final_member(id_number)
    return view.name if view else ""


def current_values(ctx: ImportContext, obj: Activity) -> dict[str, Any]:
    return {"org": ctx.org_by_pk[obj.org_id].code, "kind": obj.kind, "starts_at": obj.starts_at,
            "ends_at": obj.ends_at, "place": obj.place, "title": obj.title,
            "host": getattr(obj, "host_id_number", None), "lecturer": getattr(obj, "lecturer_id_number", None),
            "agenda": obj.agenda, "minutes": obj.minutes}


class ActivitySheet(SheetHandler):
    spec = SPEC
    order = 40

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        ctx.start_sheet(SPEC)
        book = book_of(ctx)
        quiet = Cells(SHEET, [])
        book.load(quiet.code(SheetRow(r.number, r.values), "活动编号") for r in sheet.rows)
        ctx.load_members(quiet.id_number(SheetRow(r.number, r.values), h) for r in sheet.rows for h in PEOPLE.values()
                         if sheet.has(h))
        cells = Cells(SHEET, ctx.errors)
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = cells.required_text(row, "活动编号")
            values = self._read(cells, sheet, row, book.db.get(code))
            if not code:
                continue
            if code in seen:
                ctx.error(SHEET, row, "活动编号", f"活动编号“{code}”与第{seen[code]}行重复")
                continue
            seen[code] = row.number
            obj = book.db.get(code)
            book.states[code] = ActivityState(code=code, sheet_row=row, values=values, obj=obj,
                                              current=current_values(ctx, obj) if obj is not None else None)

    @staticmethod
    def _read(cells: Cells, sheet: SheetData, row: SheetRow, existing: Activity | None) -> dict[str, Any]:
        org = cells.required_text(row, "组织编码") or None
        label = cells.required_text(row, "活动类型")
        kind = KIND_BY_LABEL.get(label, "")
        if label and not kind:
            cells.error(row, "活动类型", f"活动类型“{label}”无效，应为：{KIND_LABELS}")
        starts = cells.datetime(row, "开始时间")
        if starts is None and "开始时间" not in row.bad:
            cells.error(row, "开始时间", "不能为空")
        values: dict[str, Any] = {"org": org, "kind": kind, "starts_at": starts,
                                  "title": cells.required_text(row, "主题")}
        for fname, header in OPTIONAL.items():
            if not sheet.has(header):
                if existing is None:
                    values[fname] = None if fname in ("ends_at", "host", "lecturer") else ""
                elif fname in PEOPLE:
                    values[fname] = getattr(existing, f"{fname}_id_number", None)
                else:
                    values[fname] = getattr(existing, fname)
            elif fname == "ends_at":
                values[fname] = cells.datetime(row, header)
            elif fname in PEOPLE:
                values[fname] = cells.id_number(row, header) or None
            elif fname in ("agenda", "minutes"):
                values[fname] = multiline(cells.text(row, header))
            else:
                values[fname] = cells.text(row, header)
        return values

    # --- checking --------------------------------------------------------------------------------

    def check(self, ctx: ImportContext) -> None:
        book = book_of(ctx)
        for state in book.states.values():
            self._check_row(ctx, book, state)

    def _check_row(self, ctx: ImportContext, book: ActivityBook, s: ActivityState) -> None:
        row, v = s.sheet_row, s.values
        for fname in ("code", "title", "place"):
            text = s.code if fname == "code" else v[fname]
            if len(text or "") > MAX_LENGTHS[fname]:
                ctx.error(SHEET, row, COLUMN[fname], f"不能超过{MAX_LENGTHS[fname]}个字")
        org = ctx.orgs.get(v["org"]) if v["org"] else None
        if v["org"] and org is None:
            ctx.error(SHEET, row, "组织编码", f"组织编码“{v['org']}”不存在：组织表中没有，系统中也没有")
        if org is not None and v["kind"] and v["starts_at"] is not None and org.kind in OrgKind.values:
            template = book.template(ctx, v["kind"], org.code, timezone.localtime(v["starts_at"]).date())
            s.template_ref = template.ref
            self._check_rules(ctx, s, Organization(name=org.name, kind=org.kind), template)
        elif v["starts_at"] is not None and v["ends_at"] is not None and v["ends_at"] < v["starts_at"]:
            ctx.error(SHEET, row, "结束时间", "结束时间早于开始时间")
        top = top_code(ctx, v["org"])
        for role, header in PEOPLE.items():
            if not v[role]:
                continue
            person = ctx.final_member(v[role])
            if person is None:
                ctx.error(SHEET, row, header, f"{ROLES[role]}未登记：党员表和系统中都没有这个身份证号")
            elif top is not None and top_code(ctx, person.branch) not in (top, None):
                ctx.error(SHEET, row, header,
                          f"{ROLES[role]}须为本单位人员：{person.name}不是“{ctx.orgs[top].name}”的人员")
        if not ctx.manages_final(v["org"]):
            ctx.error(SHEET, row, "组织编码", NO_PERMISSION)
        elif s.obj is not None and not ctx.sees_current(ctx.org_by_pk[s.obj.org_id]):
            ctx.error(SHEET, row, "活动编号", NO_PERMISSION)
        self._classify(ctx, s)

    @staticmethod
    def _check_rules(ctx: ImportContext, s: ActivityState, org: Organization, template: WorkTemplate) -> None:
        """The rules an activity form is held to (holder, title, times), from meetings.services."""
        values = {"title": s.values["title"], "starts_at": s.values["starts_at"], "ends_at": s.values["ends_at"]}
        for fname, message in check_activity(org, s.values["kind"], template, values):
            ctx.error(SHEET, s.sheet_row, COLUMN.get(fname, "活动编号"), message)

    def _classify(self, ctx: ImportContext, s: ActivityState) -> None:
        row, v = s.sheet_row, s.values
        if s.obj is None:
            s.action = CREATED
            ctx.count(SHEET, CREATED)
            ctx.changes.append(Change(SHEET, row.number, CREATED, s.code, v["title"], [
                ("组织编码", "", v["org"] or ""), ("活动类型", "", kind_label(v["kind"])),
                ("开始时间", "", local_text(v["starts_at"]))]))
            return
        assert s.current is not None
        s.changed = [f for f in FIELDS if s.current[f] != v[f]]
        if not s.changed:
            s.action = UNCHANGED
            ctx.count(SHEET, UNCHANGED)
            return
        s.action = UPDATED
        if s.obj.status == ActivityStatus.ARCHIVED:
            ctx.error(SHEET, row, "活动编号", "该活动已归档，已归档的记录不能再修改")
        s.before = activity_snapshot(s.obj, s.current["org"])
        ctx.count(SHEET, UPDATED)
        ctx.changes.append(Change(SHEET, row.number, UPDATED, s.code, v["title"], [
            (COLUMN[f], _show(ctx, f, s.current[f]), _show(ctx, f, v[f])) for f in s.changed]))

    # --- writing ---------------------------------------------------------------------------------

    def link(self, ctx: ImportContext) -> None:
        """Activities created by this import get a 缺席 row for each expected person the 出勤 sheet did not
        list — as the web does when it plans one — so that everywhere the attendance rows of an activity
        are its 应到 (plus any guests). IMPORT_FORMAT: an expected member with no 出勤 row counts as 缺席."""
        from dangjian.meetings.documents.facts import Roster
        from dangjian.meetings.worktemplates import TemplateChooser

        from .attendance import insert_rows

        created = [saved(s.obj) for s in book_of(ctx).states.values() if s.action == CREATED]
        if not created:
            return
        orgs = {o.pk: o for o in Organization.objects.filter(pk__in={a.org_id for a in created})}
        chooser, roster = TemplateChooser(orgs.values()), Roster(orgs.values())
        have: dict[int, set[int]] = {}
        for activity_id, member_id in (Attendance.objects.filter(activity_id__in=[a.pk for a in created])
                                       .values_list("activity_id", "member_id")):
            have.setdefault(activity_id, set()).add(member_id)
        rows = []
        for a in created:
            org = orgs[a.org_id]
            day = timezone.localtime(a.starts_at).date()
            for person in roster.expected(org, chooser.choose(a.kind, org, day), day):
                if person.id not in have.get(a.pk, ()):
                    rows.append((a.pk, person.id, AttendanceStatus.ABSENT, "", False))
        insert_rows(rows)

    def write(self, ctx: ImportContext) -> None:
        book = book_of(ctx)
        created = [s for s in book.states.values() if s.action == CREATED]
        updated = [s for s in book.states.values() if s.action == UPDATED]
        if not created and not updated:
            return
        now = timezone.now()
        actor = ctx.actor if ctx.actor is not None and ctx.actor.pk else None
        for s in created:
            obj = Activity(code=s.code, status=ActivityStatus.HELD if s.values["starts_at"] <= now
                           else ActivityStatus.PLANNED, created_by=actor)
            self._apply(ctx, s, obj)
            mark_if_late(obj, now)
            s.obj = obj
        Activity.objects.bulk_create([saved(s.obj) for s in created], batch_size=BATCH_SIZE)
        for s in updated:
            obj = saved(s.obj)
            self._apply(ctx, s, obj)
            mark_if_late(obj, now)
            obj.updated_at = now
        update_rows(Activity, [saved(s.obj) for s in updated], WRITE_FIELDS)
        for s in created:
            ctx.audit(action=AUDIT_CREATE, obj=s.obj, before=None, after=activity_snapshot(saved(s.obj),
                      s.values["org"]), org_path=ctx.org_obj(s.values["org"]).path)
        for s in updated:
            ctx.audit(action=AUDIT_UPDATE, obj=s.obj, before=s.before, after=activity_snapshot(saved(s.obj),
                      s.values["org"]), org_path=ctx.org_obj(s.values["org"]).path)

    @staticmethod
    def _apply(ctx: ImportContext, s: ActivityState, obj: Activity) -> None:
        v = s.values
        obj.org_id = ctx.org_obj(v["org"]).pk
        obj.top_org_id = ctx.org_obj(top_code(ctx, v["org"])).pk
        obj.kind = v["kind"]
        if s.action == CREATED or {"org", "kind", "starts_at"} & set(s.changed):
            obj.template_ref = s.template_ref
        for fname in ("title", "starts_at", "ends_at", "place", "agenda", "minutes"):
            setattr(obj, fname, v[fname])
        for role in PEOPLE:
            person = ctx.final_member(v[role]) if v[role] else None
            setattr(obj, f"{role}_id", person.pk if person else None)

    # --- export ----------------------------------------------------------------------------------

    def sample_rows(self) -> list[list[Any]]:
        return [SAMPLE_ACTIVITY]

    def export_rows(self, ectx) -> Iterator[list[Any]]:
        for a in ectx.activities:
            yield [a.code, a.org_code, kind_label(a.kind), local_naive(a.starts_at), local_naive(a.ends_at), a.place,
                   a.title, ectx.person_id(a.host_id_number, a.host_branch_path),
                   ectx.person_id(a.lecturer_id_number, a.lecturer_branch_path), a.agenda, a.minutes]


SAMPLE_ACTIVITY_CODE = "D001-01-20240705-01"
SAMPLE_ACTIVITY: list[Any] = [
    SAMPLE_ACTIVITY_CODE, "D001-01", "支部党员大会", dt.datetime(2024, 7, 5, 15, 0), dt.datetime(2024, 7, 5, 16, 30),
    "党员活动室", "第三季度支部党员大会", SAMPLE_ID_NUMBER, "", "1. 传达学习上级党委会议精神\n2. 通报上半年支部工作\n3. 讨论下半年工作安排",
    "书记张示例主持会议，传达学习了上级党委会议精神，通报了上半年支部工作，讨论通过了下半年工作安排。",
]


def activity_snapshot(activity: Activity, org_code: str | None) -> dict:
    """The shape of meetings.services.activity_snapshot, from values known in memory."""
    return snapshot(activity, extra={"org": org_code})


def _show(ctx: ImportContext, fname: str, value: Any) -> str:
    if fname in PEOPLE:
        return person_name(ctx, value)
    if fname == "kind":
        return kind_label(value)
    if isinstance(value, dt.datetime):
        return local_text(value)
    return "" if value is None else str(value)
