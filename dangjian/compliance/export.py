"""The Excel problem list (规范化检查问题清单): one row per finding, for the same filters as the dashboard."""

from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

SEVERITY_LABELS = {"danger": "问题", "warning": "提醒"}
HEADERS = ["规则代码", "规则", "组织编码", "组织", "期间", "活动编号", "党员", "级别", "说明"]
WIDTHS = [22, 26, 14, 24, 10, 22, 10, 8, 80]


def finding_cells(row: dict[str, Any]) -> list[str]:
    """The cells of one finding; `row` as built by views.dashboard.Rows.row."""
    f = row["finding"]
    activities = "、".join(code for _, code in row["activities"]) or (f.activity or "")
    return [f.rule, row["rule_name"], f.org, row["org_name"], f.period or "", activities, f.member or "",
            SEVERITY_LABELS.get(f.severity, f.severity), f.message]


def write_findings(target: BinaryIO | str, rows: list[dict[str, Any]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(HEADERS)
    fill = PatternFill("solid", fgColor="B71C1C")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append(finding_cells(row))
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.save(target)
