"""Sheet 出勤: who attended an activity, keyed by (活动编号, 身份证号).

The importer stores only what the sheet says: a row replaces the attendance of that member at that
activity; rows not in the sheet stay as they are; no row is made for people expected but not listed — a
member expected at an activity with no row counts as 缺席 (IMPORT_FORMAT.md), as the meeting pages and the
quorum do. A 请假 without 说明 is accepted with a warning (the web form requires a reason; old paper records
often have none). The person may be anyone of the activity's 集团 (a guest from another branch, too).
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.utils import timezone

from dangjian.meetings.models import ActivityStatus, Attendance, AttendanceStatus

from ..base import (
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
from ..workbook import CODE, ID_NUMBER, TEXT, Cells, Column, SheetData, SheetRow, SheetSpec
from .activities import SAMPLE_ACTIVITY_CODE, ActivityBook, FinalActivity, book_of, mark_if_late, top_code

SHEET = "出勤"
STATUS_BY_LABEL = {s.label: s.value for s in AttendanceStatus}
STATUS_LABELS = "/".join(STATUS_BY_LABEL)
SPEC = SheetSpec(SHEET, (
    Column("活动编号", CODE, True, "活动表中的活动编号，或系统中已有的活动", 22),
    Column("身份证号", ID_NUMBER, True, "参加（或请假、缺席）的人员；应到而未列出的人员按缺席计算", 22),
    Column("出勤情况", TEXT, True, STATUS_LABELS, 10),
    Column("说明", TEXT, False, "请假原因等；请假未写原因的会提示", 30),
), help="出勤：每人每次活动一行；再次导入时按“活动编号+身份证号”更新")

REASON_MAX = Attendance._meta.get_field("reason").max_length or 200
LOAD_ALL_ATTENDANCE_ABOVE = 500  # activities whose attendance is read; above this, one pass over every row
INSERT_BATCH = 10 * BATCH_SIZE
MAX_CHANGES = 500  # the preview shows a sample; a full list of millions of rows would only cost memory
LEAVE_WITHOUT_REASON = "请假未填写说明（在网页上请假须说明原因；导入时允许，以便录入旧记录）"


def insert_rows(rows: list[tuple[int, int, str, str, bool]]) -> None:
    """New attendance rows with one prepared INSERT sent with executemany in batches: an import of a
    group's year holds millions of them, and model instances through bulk_create cost most of the time."""
    if not rows:
        return
    meta = Attendance._meta
    connection = connections[router.db_for_write(Attendance)]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(f).column) for f in ("activity", "member", "status", "reason",
                                                               "requested_by_member"))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start:start + INSERT_BATCH])


def status_label(status: str) -> str:
    try:
        return AttendanceStatus(status).label
    except ValueError:
        return status


@dataclass(slots=True)
class AttendanceRow:
    sheet_row: SheetRow
    code: str
    id_number: str
    status: str
    reason: str | None  # None: the column is absent (keep the current reason)
    activity: FinalActivity | None = None
    member_pk: int | None = None
    member_name: str = ""
    existing: tuple[int, str, str] | None = None  # (pk, status, reason) of the database row
    action: str = ""

    @property
    def final_reason(self) -> str:
        if self.reason is not None:
            return self.reason
        return self.existing[2] if self.existing else ""


class AttendanceSheet(SheetHandler):
    spec = SPEC
    order = 50

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        ctx.start_sheet(SPEC)
        rows: list[AttendanceRow] = ctx.sheet_rows.setdefault(SHEET, [])
        quiet = Cells(SHEET, [])
        ctx.load_members(quiet.id_number(SheetRow(r.number, r.values), "身份证号") for r in sheet.rows)
        cells = Cells(SHEET, ctx.errors)
        seen: dict[tuple[str, str], int] = {}
        has_reason = sheet.has("说明")
        for row in sheet.rows:
            code = cells.required_text(row, "活动编号")
            id_number = cells.id_number(row, "身份证号")
            if not id_number and "身份证号" not in row.bad:
                cells.error(row, "身份证号", "不能为空")
            label = cells.required_text(row, "出勤情况")
            status = STATUS_BY_LABEL.get(label, "")
            if label and not status:
                cells.error(row, "出勤情况", f"出勤情况“{label}”无效，应为：{STATUS_LABELS}")
            reason = cells.text(row, "说明") if has_reason else None
            if reason and len(reason) > REASON_MAX:
                cells.error(row, "说明", f"不能超过{REASON_MAX}个字")
            if not code or not id_number or row.bad:
                continue
            key = (code, id_number)
            if key in seen:
                ctx.error(SHEET, row, "身份证号", f"该人员在活动“{code}”的出勤已在第{seen[key]}行填写，不能重复")
                continue
            seen[key] = row.number
            rows.append(AttendanceRow(sheet_row=row, code=code, id_number=id_number, status=status, reason=reason))
        book = book_of(ctx)
        book.load(r.code for r in rows if r.code not in book.states)

    # --- checking --------------------------------------------------------------------------------

    def check(self, ctx: ImportContext) -> None:
        rows: list[AttendanceRow] = ctx.sheet_rows.get(SHEET, [])
        if not rows:
            return
        book = book_of(ctx)
        allowed: dict[str, bool] = {}
        for r in rows:
            self._check_row(ctx, book, r, allowed)
        existing = self._existing(r.activity.obj.pk for r in rows if r.activity and r.activity.obj is not None)
        for (activity_id, member_id), (_, status, _) in existing.items():
            book.attendance_before.setdefault(activity_id, {})[str(member_id)] = status
        for r in rows:
            if r.activity is not None and r.member_pk is not None and r.activity.obj is not None:
                r.existing = existing.get((r.activity.obj.pk, r.member_pk))
            self._classify(ctx, book, r)

    def _check_row(self, ctx: ImportContext, book: ActivityBook, r: AttendanceRow, allowed: dict[str, bool]) -> None:
        row = r.sheet_row
        activity = book.final(ctx, r.code)
        if activity is None:
            ctx.error(SHEET, row, "活动编号", f"活动编号“{r.code}”不存在：活动表中没有，系统中也没有")
        elif activity.state is None:
            # An activity of the database only: its 活动 row did not check the user's permission.
            if r.code not in allowed:
                obj = activity.obj
                assert obj is not None
                allowed[r.code] = ctx.manages_final(activity.org) and ctx.sees_current(ctx.org_by_pk[obj.org_id])
            if not allowed[r.code]:
                ctx.error(SHEET, row, "活动编号", NO_PERMISSION)
        person = ctx.final_member(r.id_number)
        if person is None:
            ctx.error(SHEET, row, "身份证号", "人员未登记：党员表和系统中都没有这个身份证号")
        elif activity is not None:
            top = top_code(ctx, activity.org)
            if top is not None and top_code(ctx, person.branch) not in (top, None):
                ctx.error(SHEET, row, "身份证号", f"{person.name}不是“{ctx.orgs[top].name}”的人员，不能登记出勤")
        r.activity = activity
        if person is not None:
            r.member_pk, r.member_name = person.pk, person.name

    @staticmethod
    def _existing(activity_pks) -> dict[tuple[int, int], tuple[int, str, str]]:
        """(activity, member) → (pk, status, reason) of the attendance rows of these activities (one query)."""
        wanted = set(activity_pks)
        if not wanted:
            return {}
        qs = Attendance.objects.values_list("activity_id", "member_id", "pk", "status", "reason")
        if len(wanted) <= LOAD_ALL_ATTENDANCE_ABOVE:
            rows = qs.filter(activity_id__in=wanted).iterator(chunk_size=5000)
        else:
            rows = qs.iterator(chunk_size=20000)
        return {(a, m): (pk, s, reason) for a, m, pk, s, reason in rows if a in wanted}

    def _classify(self, ctx: ImportContext, book: ActivityBook, r: AttendanceRow) -> None:
        row = r.sheet_row
        if r.status == AttendanceStatus.LEAVE and not r.final_reason.strip():
            ctx.warn(SHEET, row, "说明", LEAVE_WITHOUT_REASON)
        name = r.activity.state.values["title"] if r.activity and r.activity.state else r.code
        who = r.member_name
        if r.existing is None:
            r.action = CREATED
            ctx.count(SHEET, CREATED)
            if book.show_change(SHEET, MAX_CHANGES):
                ctx.changes.append(Change(SHEET, row.number, CREATED, r.code, f"{who}（{name}）",
                                          [("出勤情况", "", status_label(r.status))]))
            return
        _, status, reason = r.existing
        if (status, reason) == (r.status, r.final_reason):
            r.action = UNCHANGED
            ctx.count(SHEET, UNCHANGED)
            return
        r.action = UPDATED
        if r.activity is not None and r.activity.status == ActivityStatus.ARCHIVED:
            ctx.error(SHEET, row, "活动编号", "该活动已归档，已归档的记录不能再修改出勤")
        ctx.count(SHEET, UPDATED)
        if book.show_change(SHEET, MAX_CHANGES):
            fields = [("出勤情况", status_label(status), status_label(r.status))] if status != r.status else []
            if reason != r.final_reason:
                fields.append(("说明", reason, r.final_reason))
            ctx.changes.append(Change(SHEET, row.number, UPDATED, r.code, f"{who}（{name}）", fields))

    # --- writing ---------------------------------------------------------------------------------

    def write(self, ctx: ImportContext) -> None:
        rows = [r for r in ctx.sheet_rows.get(SHEET, []) if r.action in (CREATED, UPDATED)]
        if not rows:
            return
        new: list[tuple[int, int, str, str, bool]] = []
        changed = []
        touched: dict[int, list[AttendanceRow]] = defaultdict(list)
        for r in rows:
            activity = self._activity(r)
            member_pk: int = r.member_pk if r.member_pk is not None else saved(saved(ctx.final_member(r.id_number)).pk)
            r.member_pk = member_pk
            if r.existing is None:
                new.append((activity.pk, member_pk, r.status, r.final_reason, False))
            else:
                changed.append(Attendance(pk=r.existing[0], status=r.status, reason=r.final_reason))
            touched[activity.pk].append(r)
        insert_rows(new)
        update_rows(Attendance, changed, ["status", "reason"])
        self._mark_activities(ctx, rows, touched)

    @staticmethod
    def _activity(r: AttendanceRow):
        assert r.activity is not None
        if r.activity.state is not None:
            return saved(r.activity.state.obj)
        return saved(r.activity.obj)

    def _mark_activities(self, ctx: ImportContext, rows: list[AttendanceRow],
                         touched: dict[int, list[AttendanceRow]]) -> None:
        """Recording attendance records the activity (补录 rule), and is audited once per activity."""
        from dangjian.meetings.models import Activity

        now = timezone.now()
        activities = {self._activity(r).pk: (self._activity(r), r.activity) for r in rows}
        before = book_of(ctx).attendance_before
        marked = []
        for pk, (obj, final) in activities.items():
            state = (obj.late_entry, obj.recorded_at)
            mark_if_late(obj, now)
            if obj.recorded_at is None:
                obj.recorded_at = now
            if (obj.late_entry, obj.recorded_at) != state:
                obj.updated_at = now
                marked.append(obj)
            was = before.get(pk, {})
            after = was | {str(r.member_pk): r.status for r in touched[pk]}
            assert final is not None
            ctx.audit(action=AUDIT_UPDATE, obj=obj, before={"attendance": was}, after={"attendance": after},
                      org_path=ctx.org_obj(final.org).path)
        update_rows(Activity, marked, ["late_entry", "recorded_at", "updated_at"])

    # --- export ----------------------------------------------------------------------------------

    def sample_rows(self) -> list[list[Any]]:
        return [[SAMPLE_ACTIVITY_CODE, SAMPLE_ID_NUMBER, "出席", ""]]

    def export_rows(self, ectx) -> Iterator[list[Any]]:
        for code, id_number, status, reason in ectx.attendance:
            yield [code, ectx.id_number(id_number), status_label(status), reason]
