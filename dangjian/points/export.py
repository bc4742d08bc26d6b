"""The Excel of a year's points table (党员积分表): one row per member — each category, each special
assessment, the total, the grade and the rank — and a second sheet with the pack's rules and their sources.

The table is `selectors.year_table(...)`, the same as the ranking page, the API and the CLI.
"""

from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

KIND_LABELS = {"auto": "自动计分", "manual": "支部评分", "declared": "党员申报"}
PERIOD_LABELS = {"month": "按月", "quarter": "按季度"}
HEADER_FILL = PatternFill("solid", fgColor="B71C1C")


def number(value: Any) -> int | float | None:
    """A Decimal as a plain Excel number (8, 7.5)."""
    if value is None:
        return None
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def _header(ws, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def table_headers(table) -> list[str]:
    categories = table.pack.get("categories") or {}
    return (["排名", "姓名", "身份证号", "所在组织"]
            + [f"{c.get('name', code)}（满分{number(c.get('max'))}）" for code, c in categories.items()]
            + [f"专项：{s.name}" for s in table.specials] + ["总分", "等次", "备注"])


def member_cells(table, row) -> list[Any]:
    categories = table.pack.get("categories") or {}
    cells: list[Any] = [row.rank, row.name, row.id_masked, row.org_name]
    for code in categories:
        value = row.categories.get(code)
        cells.append(number(value.value) if value is not None else None)
    for s in table.specials:
        value = row.specials.get(s.id)
        cells.append(number(value.result) if value is not None else None)
    cells += [number(row.total), row.grade or "", "；".join(row.missing or [])]
    return cells


def write_rules(ws, pack: dict) -> None:
    ws.title = "积分规则"
    ws.append([f"{pack.get('name', '')}（{pack.get('code', '')}，{pack.get('version', '')}）"])
    ws["A1"].font = Font(bold=True, size=12)
    if pack.get("source"):
        ws.append([f"依据：{pack['source']}"])
    ws.append([])
    _header(ws, ["类别", "类别满分", "规则编码", "规则", "计分方式", "每项分值", "依据"], [18, 10, 20, 26, 16, 24, 80])
    categories = pack.get("categories") or {}
    for code, rule in (pack.get("rules") or {}).items():
        category = categories.get(rule.get("category"), {})
        kind = KIND_LABELS.get(rule.get("kind", ""), rule.get("kind", ""))
        if rule.get("period"):
            kind += f"（{PERIOD_LABELS.get(rule['period'], rule['period'])}）"
        ws.append([category.get("name", rule.get("category")), number(category.get("max")), code,
                   rule.get("name", code), kind, _range(rule), rule.get("source", "")])
    ws.append([])
    ws.append(["等次", "总分下限（含）", "总分上限（不含）"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for grade in pack.get("grades") or []:
        ws.append([grade.get("name"), number(grade.get("min")), number(grade.get("below"))])


def _range(rule: dict) -> str:
    if rule.get("grades"):
        return "；".join(f"{k} {number(v)}" for k, v in rule["grades"].items())
    lo, hi = (list(rule.get("range") or []) + [None, None])[:2]
    if lo is None:
        return ""
    return str(number(lo)) if lo == hi else f"{number(lo)} ～ {number(hi)}"


def write_table(target: BinaryIO | str, table) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "积分表"
    headers = table_headers(table)
    widths = [6, 10, 22, 24] + [12] * (len(headers) - 7) + [8, 8, 40]
    _header(ws, headers, widths)
    for row in table.rows:
        ws.append(member_cells(table, row))
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    write_rules(wb.create_sheet(), table.pack)
    wb.save(target)
