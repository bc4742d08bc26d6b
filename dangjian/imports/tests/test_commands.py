"""The command-line import and export."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from conftest import make_id
from dangjian.imports.management.commands import import_workbook as import_command
from dangjian.orgs.models import Member

from .helpers import MEMBER_HEADERS, db_state, member_row, xlsx

NEW_ID = make_id("19910101", 91)


def write(tmp_path, *rows) -> str:
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx({"党员": [MEMBER_HEADERS, *rows]}).getvalue())
    return str(path)


def test_import_command_prints_the_summary_and_imports(world, tmp_path, capsys):
    path = write(tmp_path, member_row(NEW_ID, "命令行导入", "正式党员", "B2", 转正日期=dt.date(2015, 1, 1)))
    call_command("import_workbook", path)
    out = capsys.readouterr().out
    assert "党员：新增1，修改0，未变0" in out and "导入成功" in out
    assert Member.objects.filter(id_number=NEW_ID).exists()


def test_import_command_dry_run_writes_nothing(world, tmp_path, capsys):
    before = db_state(world)
    call_command("import_workbook", write(tmp_path, member_row(NEW_ID, "试运行", "正式党员", "B2")), "--dry-run")
    assert "试运行：检查通过，没有写入任何数据" in capsys.readouterr().out
    assert db_state(world) == before


def test_import_command_lists_every_error_and_exits_with_status_1(world, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, member_row(NEW_ID, "甲", "群众", "B2"), member_row(make_id("19910101", 92), "乙", branch="NOPE"))
    before = db_state(world)
    # run_from_argv is what manage.py calls; keep the test database connection open.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        import_command.Command().run_from_argv(["manage.py", "import_workbook", path])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "党员 / 第2行 / 人员类别: 人员类别“群众”无效" in err
    assert "党员 / 第3行 / 所在组织编码: 组织编码“NOPE”不存在" in err
    assert "共2个错误，没有写入任何数据" in err
    assert db_state(world) == before


def test_import_command_missing_file(world, tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("import_workbook", str(tmp_path / "nope.xlsx"))
    assert info.value.returncode == 1


def test_export_command_whole_and_subtree(world, tmp_path, capsys):
    path = tmp_path / "all.xlsx"
    call_command("export_workbook", str(path))
    assert "党员3人" in capsys.readouterr().out
    assert len(list(load_workbook(path)["党员"].iter_rows(min_row=2))) == 3

    call_command("export_workbook", str(tmp_path / "b2.xlsx"), "--org", "B2")
    rows = list(load_workbook(tmp_path / "b2.xlsx")["党员"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [world.b2_member.id_number]  # not masked


def test_export_command_unknown_org(world, tmp_path):
    with pytest.raises(CommandError, match="组织编码“NOPE”不存在"):
        call_command("export_workbook", str(tmp_path / "x.xlsx"), "--org", "NOPE")
