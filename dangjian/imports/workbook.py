"""Reading the standard workbook (IMPORT_FORMAT.md): sheets, headers and cells, with Chinese messages.

The reader knows nothing of organizations or members: it matches headers against the sheet specs it is
given, reports unknown and missing columns, and hands back rows of raw cell values. `Cells` turns raw
values into text, codes, dates, integers and ID numbers, recording a Chinese error for each bad cell.
"""

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core.idcard import normalize_id_number

FILE_SHEET = "工作簿"
FILE_COLUMN = "文件"
NOTE_SHEET = "说明"  # the template's explanation sheet; ignored on import
MASKED_NOTE_SHEET = "脱敏说明"  # present in masked exports, which must not be imported


@dataclass(frozen=True)
class ImportIssue:
    """One error or warning, located by sheet, Excel row number (the header is row 1) and column."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.sheet} / {self.column}: {self.message}"
        return f"{self.sheet} / 第{self.row}行 / {self.column}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportIssue":
        return cls(data["sheet"], data.get("row"), data.get("column", ""), data["message"])


class WorkbookError(Exception):
    """The file cannot be read as a workbook at all; the message is Chinese."""


# Cell kinds of a column.
TEXT, CODE, DATE, DATETIME, INTEGER, ID_NUMBER = "text", "code", "date", "datetime", "integer", "id_number"
TEXT_KINDS = (TEXT, CODE, ID_NUMBER)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    required: bool = False
    help: str = ""  # shown in the template's 说明 sheet
    width: int = 14


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    help: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)


@dataclass
class SheetRow:
    number: int  # the Excel row number
    values: dict[str, Any]  # known header -> raw cell value
    bad: set[str] = field(default_factory=set)  # columns whose cell could not be read


@dataclass
class SheetData:
    spec: SheetSpec
    headers: list[str]  # the known headers present, in file order
    rows: list[SheetRow]

    @property
    def name(self) -> str:
        return self.spec.name

    def has(self, header: str) -> bool:
        return header in self.headers


@dataclass
class Workbook:
    sheets: dict[str, SheetData]
    errors: list[ImportIssue]
    warnings: list[ImportIssue]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open(source: str | Path | IO[bytes]):
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise WorkbookError(f"文件不存在：{path.name}")
        handle: Any = path.open("rb")
    else:
        handle = source
        if hasattr(handle, "seek"):
            handle.seek(0)
    try:
        return load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise WorkbookError("无法读取文件：不是有效的Excel工作簿（.xlsx）。请用Excel另存为“Excel 工作簿(*.xlsx)”后再导入") from exc
    except Exception as exc:  # openpyxl raises many kinds on malformed files
        raise WorkbookError("无法读取文件：Excel工作簿已损坏或格式不受支持（仅支持.xlsx）") from exc


def read_workbook(source: str | Path | IO[bytes], specs: Iterable[SheetSpec]) -> Workbook:
    """Read the sheets that `specs` describe. File-level problems raise WorkbookError."""
    specs_by_name = {s.name: s for s in specs}
    wb = _open(source)
    errors: list[ImportIssue] = []
    warnings: list[ImportIssue] = []
    sheets: dict[str, SheetData] = {}
    try:
        names = [ws.title for ws in wb.worksheets]
        if MASKED_NOTE_SHEET in names:
            raise WorkbookError("此文件是脱敏导出的（身份证号、手机号码已隐去），仅供查阅，不能用于导入")
        for ws in wb.worksheets:
            title = (ws.title or "").strip()
            spec = specs_by_name.get(title)
            if spec is None:
                if title != NOTE_SHEET:
                    warnings.append(ImportIssue(title, None, "工作表", "不是标准模板中的工作表，已忽略"))
                continue
            data = _read_sheet(ws, spec, errors, warnings)
            if data is not None:
                sheets[spec.name] = data
    finally:
        wb.close()
    if not sheets:
        expected = "、".join(specs_by_name)
        raise WorkbookError(f"工作簿中没有可导入的工作表：应至少包含以下工作表之一（含表头）：{expected}")
    if not errors and not any(s.rows for s in sheets.values()):
        raise WorkbookError("工作簿中没有数据行（只有表头），没有可导入的内容")
    return Workbook(sheets=sheets, errors=errors, warnings=warnings)


def _read_sheet(ws, spec: SheetSpec, errors: list[ImportIssue], warnings: list[ImportIssue]) -> SheetData | None:
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None or all(_is_empty(v) for v in header_row):
        warnings.append(ImportIssue(spec.name, None, "表头", "工作表为空（第1行没有表头），已跳过"))
        return None
    known = set(spec.headers)
    positions: dict[str, int] = {}
    for index, raw in enumerate(header_row):
        if _is_empty(raw):
            continue
        header = str(raw).strip()
        if header in positions:
            errors.append(ImportIssue(spec.name, 1, header, "列名重复，每列只能出现一次"))
        elif header in known:
            positions[header] = index
        else:
            warnings.append(ImportIssue(spec.name, 1, header, "不是标准模板中的列，已忽略"))
    for column in spec.columns:
        if column.required and column.header not in positions:
            errors.append(ImportIssue(spec.name, None, column.header, "缺少必填列"))
    ordered = sorted(positions.items(), key=lambda item: item[1])
    data = SheetData(spec=spec, headers=[h for h, _ in ordered], rows=[])
    for number, values in enumerate(rows, start=2):
        cells = {h: values[i] if i < len(values) else None for h, i in ordered}
        if all(_is_empty(v) for v in cells.values()):
            continue
        data.rows.append(SheetRow(number=number, values=cells))
    return data


# --- cells ---------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:0{2}(?::0{2})?)?$")
_DATETIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_INTEGER = re.compile(r"^[+-]?\d+(?:\.0+)?$")


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Cells:
    """Turns raw cell values of one sheet into typed values; each bad cell records an error."""

    def __init__(self, sheet: str, errors: list[ImportIssue]):
        self.sheet = sheet
        self.errors = errors

    def error(self, row: SheetRow, column: str, message: str) -> None:
        row.bad.add(column)
        self.errors.append(ImportIssue(self.sheet, row.number, column, message))

    def text(self, row: SheetRow, column: str) -> str:
        value = row.values.get(column)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, int | float):
            return _number_text(value)
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time(0) else value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value).strip()

    def code(self, row: SheetRow, column: str) -> str:
        """A code is text even if Excel stored it as a number (101 -> "101")."""
        return self.text(row, column)

    def required_text(self, row: SheetRow, column: str) -> str:
        value = self.text(row, column)
        if not value and column not in row.bad:
            self.error(row, column, "不能为空")
        return value

    def date(self, row: SheetRow, column: str) -> dt.date | None:
        value = row.values.get(column)
        if _is_empty(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            match = _DATE.match(value.strip())
            if match:
                try:
                    return dt.date(*(int(g) for g in match.groups()))
                except ValueError:
                    self.error(row, column, f"“{value.strip()}”不是有效日期")
                    return None
        self.error(row, column, f"日期格式不正确：“{self.text(row, column)}”，应为日期单元格或“YYYY-MM-DD”格式的文本")
        return None

    def datetime(self, row: SheetRow, column: str) -> dt.datetime | None:
        """A date-time cell or 'YYYY-MM-DD HH:MM' text, as an aware datetime in the current time zone."""
        value = row.values.get(column)
        if _is_empty(value):
            return None
        parsed: dt.datetime | None = None
        if isinstance(value, dt.datetime):
            parsed = value.replace(tzinfo=None)
        elif isinstance(value, str):
            match = _DATETIME.match(value.strip())
            if match:
                try:
                    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
                    parsed = dt.datetime(year, month, day, hour, minute, second)
                except ValueError:
                    self.error(row, column, f"“{value.strip()}”不是有效的日期时间")
                    return None
        if parsed is None:
            self.error(row, column, f"日期时间格式不正确：“{self.text(row, column)}”，"
                                    "应为日期时间单元格或“YYYY-MM-DD HH:MM”格式的文本")
            return None
        return timezone.make_aware(parsed)

    def integer(self, row: SheetRow, column: str) -> int | None:
        value = row.values.get(column)
        if _is_empty(value):
            return None
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(float(value.strip())) if "." in value else int(value.strip())
        self.error(row, column, f"应为整数，实际为“{self.text(row, column)}”")
        return None

    def id_number(self, row: SheetRow, column: str) -> str:
        """An ID number as text; numbers Excel stored as numbers are read back when exact."""
        value = row.values.get(column)
        if _is_empty(value):
            return ""
        if isinstance(value, bool):
            self.error(row, column, "身份证号格式不正确")
            return ""
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if value.is_integer() and len(str(int(value))) == 18 and _checks(str(int(value))):
                return str(int(value))
            self.error(row, column, "身份证号被Excel存成了数字，超过15位的数字已丢失末几位，无法识别；"
                                    "请把该列设为“文本”格式后重新录入身份证号")
            return ""
        text = normalize_id_number(self.text(row, column))
        if "*" in text:
            self.error(row, column, "身份证号已脱敏（含*号），不能导入；请使用未脱敏的原始数据")
            return ""
        return text


def _checks(number: str) -> bool:
    from dangjian.core.idcard import IdNumberError, parse_id_number

    try:
        parse_id_number(number)
    except IdNumberError:
        return False
    return True
