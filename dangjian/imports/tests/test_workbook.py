"""Reading sheets and cells: headers, codes stored as numbers, dates, integers, ID numbers."""

import datetime as dt

import pytest

from conftest import make_id
from dangjian.imports.sheets import specs
from dangjian.imports.workbook import Cells, SheetRow, read_workbook

from .helpers import MEMBER_HEADERS, xlsx


def cell(value, column="列"):
    errors = []
    return Cells("表", errors), SheetRow(number=7, values={column: value}), errors


@pytest.mark.parametrize("raw, expected", [(101, "101"), (101.0, "101"), (" B-1 ", "B-1"), (None, ""), (2.5, "2.5")])
def test_codes_are_text(raw, expected):
    cells, row, errors = cell(raw)
    assert cells.code(row, "列") == expected and not errors


@pytest.mark.parametrize("raw, expected", [
    (dt.datetime(2020, 5, 1), dt.date(2020, 5, 1)), (dt.date(2020, 5, 1), dt.date(2020, 5, 1)),
    ("2020-05-01", dt.date(2020, 5, 1)), ("2020-5-1", dt.date(2020, 5, 1)), ("2020/05/01", dt.date(2020, 5, 1)),
    ("2020-05-01 00:00:00", dt.date(2020, 5, 1)), ("  ", None), (None, None),
])
def test_dates(raw, expected):
    cells, row, errors = cell(raw)
    assert cells.date(row, "列") == expected and not errors


@pytest.mark.parametrize("raw", ["20200501", 43952, "2020年5月1日", "2020-13-01"])
def test_bad_dates(raw):
    cells, row, errors = cell(raw)
    assert cells.date(row, "列") is None
    assert [(e.sheet, e.row, e.column) for e in errors] == [("表", 7, "列")]
    assert "列" in row.bad


def test_datetimes_are_aware():
    cells, row, errors = cell("2024-07-01 14:30")
    value = cells.datetime(row, "列")
    assert value.tzinfo is not None and (value.hour, value.minute) == (14, 30) and not errors


@pytest.mark.parametrize("raw, expected", [(3, 3), (3.0, 3), ("12", 12), (" 12.0 ", 12), (None, None)])
def test_integers(raw, expected):
    cells, row, errors = cell(raw)
    assert cells.integer(row, "列") == expected and not errors


@pytest.mark.parametrize("raw", [2.5, "三", True])
def test_bad_integers(raw):
    cells, row, errors = cell(raw)
    assert cells.integer(row, "列") is None
    assert errors[0].message.startswith("应为整数")


def test_id_numbers():
    number = make_id("19900101", 5)
    cells, row, errors = cell(int(number))
    assert cells.id_number(row, "列") == number  # an exact integer cell is read back
    cells, row, errors = cell(f" {number[:-1]}{number[-1].lower()} ")
    assert cells.id_number(row, "列") == number.upper()
    cells, row, errors = cell("1101**********0011")
    assert cells.id_number(row, "列") == ""
    assert "已脱敏" in errors[0].message


def test_duplicate_and_unknown_headers(world):
    book = read_workbook(xlsx({"党员": [[*MEMBER_HEADERS, "姓名", "备注", None], ["x"] * 20]}), specs())
    assert [str(e) for e in book.errors] == ["党员 / 第1行 / 姓名: 列名重复，每列只能出现一次"]
    assert [str(w) for w in book.warnings] == ["党员 / 第1行 / 备注: 不是标准模板中的列，已忽略"]


def test_blank_rows_are_skipped_and_row_numbers_kept(world):
    book = read_workbook(xlsx({"党员": [MEMBER_HEADERS, ["a"], [None, "  "], ["b"]]}), specs())
    assert [r.number for r in book.sheets["党员"].rows] == [2, 4]
