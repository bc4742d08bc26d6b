"""The yearly 台账 in Excel (openpyxl, write-only: rows are streamed to the file, not kept as cell objects).

Sheets: 汇总 (counts by kind × month and the year's attendance), 活动 (one row per activity), 出勤 (one row per
person per activity: the recorded rows, and expected people with no row as 缺席).
"""

from collections.abc import Sequence
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..models import ActivityKind
from .docx import quorum_verdict
from .facts import ActivityFacts
from .ledger import MONTHS, Ledger

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B71C1C")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOTAL_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14, color="B71C1C")
TIME_FORMAT = "yyyy-mm-dd hh:mm"

ACTIVITY_COLUMNS = [
    ("序号", 6), ("活动编号", 22), ("活动类型", 14), ("组织", 20), ("日期", 12), ("开始时间", 17), ("结束时间", 17),
    ("主题", 36), ("地点", 18), ("主持人", 10), ("记录人", 10), ("讲课人", 10), ("应到", 7), ("实到", 7),
    ("请假", 7), ("缺席", 7), ("到会人数要求", 14), ("状态", 9), ("补录", 7), ("请假人员", 30), ("缺席人员", 30),
]
ATTENDANCE_COLUMNS = [("活动编号", 22), ("日期", 12), ("姓名", 12), ("出勤情况", 10), ("说明", 30)]


def _header(ws, columns: Sequence[tuple[str, float]]) -> None:
    for i, (_, width) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    cells = []
    for title, _ in columns:
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        cells.append(cell)
    ws.append(cells)


def _cell(ws, value, number_format: str | None = None, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def _naive(value):
    """openpyxl stores no time zone: write local wall-clock time."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _summary_sheet(wb: Workbook, ledger: Ledger) -> None:
    s = ledger.summary
    ws = wb.create_sheet("汇总")
    _header(ws, [("活动类型", 18), *[(f"{m}月", 6) for m in MONTHS], ("合计", 8)])
    for kind in ActivityKind:
        counts = s.by_kind_month[kind.value]
        ws.append([kind.label, *[counts[m] for m in MONTHS], s.kind_total(kind.value)])
    ws.append([_cell(ws, "合计", font=TOTAL_FONT), *[_cell(ws, s.month_total(m), font=TOTAL_FONT) for m in MONTHS],
               _cell(ws, s.total, font=TOTAL_FONT)])
    ws.append([])
    ws.append([_cell(ws, f"{ledger.branch.name} {ledger.year}年度组织生活台账", font=TITLE_FONT)])
    rate = s.attendance_rate
    for label, value, fmt in [
        ("活动总数", s.total, None), ("已召开（含已归档）", s.held, None), ("已归档", s.archived, None),
        ("计划或已通知", s.pending, None), ("补录", s.late, None),
        ("应到人次（已召开）", s.expected, None), ("实到人次", s.attended, None), ("请假人次", s.on_leave, None),
        ("缺席人次", s.absent, None), ("出勤率", rate if rate is not None else "—", "0.0%"),
        ("有到会人数要求的会议", s.quorum_checked, None), ("其中符合要求", s.quorum_met, None),
        ("生成时间", _naive(ledger.generated_at), TIME_FORMAT),
    ]:
        ws.append([label, _cell(ws, value, fmt if not isinstance(value, str) else None)])


def _activity_row(ws, n: int, f: ActivityFacts) -> list:
    a, q = f.activity, f.quorum
    return [
        n, a.code, a.get_kind_display(), a.org.name, f.day,
        _cell(ws, _naive(a.starts_at), TIME_FORMAT), _cell(ws, _naive(a.ends_at), TIME_FORMAT), a.title, a.place,
        a.host.name if a.host else "", a.recorder.name if a.recorder else "",
        a.lecturer.name if a.lecturer else "", q.expected, q.attended, q.on_leave, q.absent,
        quorum_verdict(f) if q.rule else "—", a.get_status_display(), "补录" if a.late_entry else "",
        "、".join(f"{m.name}（{m.reason}）" if m.reason else m.name for m in f.on_leave),
        "、".join(m.name for m in f.absent),
    ]


def write_ledger_xlsx(ledger: Ledger, target: IO[bytes]) -> None:
    wb = Workbook(write_only=True)
    _summary_sheet(wb, ledger)
    ws = wb.create_sheet("活动")
    _header(ws, ACTIVITY_COLUMNS)
    for n, f in enumerate(ledger.items, 1):
        ws.append(_activity_row(ws, n, f))
    ws = wb.create_sheet("出勤")
    _header(ws, ATTENDANCE_COLUMNS)
    for f in ledger.items:
        code, day = f.activity.code, f.day
        for m in f.marks:
            reason = m.reason if m.recorded else "未登记出勤，按缺席计"
            ws.append([code, day, m.name, m.status_label, reason])  # a date gets the yyyy-mm-dd format
    wb.save(target)
