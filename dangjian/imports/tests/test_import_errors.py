"""Every kind of import error: the message names sheet, row and column, and nothing at all is written.

Each workbook also carries valid changes (B1 renamed, 李党员 renamed) so that "nothing written" is tested,
not assumed.
"""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from conftest import make_id
from dangjian.core.scoping import get_scope
from dangjian.imports.importer import import_workbook
from dangjian.orgs.models import Member

from .helpers import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    TEAM_HEADERS,
    db_state,
    member_row,
    messages,
    org_row,
    xlsx,
)

GOOD_ORG = org_row("B1", "改名后的支部", "党支部", "ZZ", dt.date(2010, 1, 1))


def good_member(world):
    return member_row(world.member.id_number, "李党员改名", "正式党员", "B1", 手机号码="13900000002")


def book(world, *, orgs=(), teams=(), members=(), member_headers=None):
    sheets = {"组织": [ORG_HEADERS, GOOD_ORG, *orgs]}
    if teams:
        sheets["班组"] = [TEAM_HEADERS, *teams]
    sheets["党员"] = [member_headers or MEMBER_HEADERS, good_member(world), *members]
    return xlsx(sheets)


def run(world, source, **kwargs):
    before = db_state(world)
    result = import_workbook(source, actor=world.admin, dry_run=False, **kwargs)
    assert not result.ok
    assert not result.written
    assert db_state(world) == before, "a workbook with errors must write nothing"
    assert Member.objects.get(pk=world.member.pk).name == "李党员"
    return messages(result)


def test_bad_id_check_digit(world):
    good = make_id("19900101", 51)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    errors = run(world, book(world, members=[member_row(bad, "错号")]))
    assert errors == ["党员 / 第3行 / 身份证号: 身份证号校验位错误，请核对号码"]


def test_bad_date_text_and_impossible_date(world):
    errors = run(world, book(world, members=[
        member_row(make_id("19900101", 52), "甲", "入党申请人", 申请入党日期="2020年5月"),
        member_row(make_id("19900101", 53), "乙", "入党申请人", 申请入党日期="2020-02-30"),
    ]))
    assert errors == [
        "党员 / 第3行 / 申请入党日期: 日期格式不正确：“2020年5月”，应为日期单元格或“YYYY-MM-DD”格式的文本",
        "党员 / 第4行 / 申请入党日期: “2020-02-30”不是有效日期",
    ]


def test_wrong_category(world):
    errors = run(world, book(world, members=[member_row(make_id("19900101", 54), "甲", "群众")]))
    assert errors == ["党员 / 第3行 / 人员类别: 人员类别“群众”无效，应为：入党申请人/入党积极分子/发展对象/预备党员/正式党员"]


def test_category_date_mismatch(world):
    errors = run(world, book(world, members=[
        member_row(make_id("19900101", 55), "甲", "入党申请人", 申请入党日期=dt.date(2015, 1, 1), 转正日期=dt.date(2020, 1, 1)),
    ]))
    assert errors == ["党员 / 第3行 / 转正日期: 人员类别为入党申请人，不应填写转正日期"]


def test_date_order(world):
    errors = run(world, book(world, members=[
        member_row(make_id("19900101", 56), "甲", "入党积极分子", 申请入党日期=dt.date(2015, 6, 1),
                   确定积极分子日期=dt.date(2015, 1, 1)),
    ]))
    assert errors == ["党员 / 第3行 / 确定积极分子日期: 确定积极分子日期2015-01-01早于申请入党日期2015-06-01，日期应按入党程序先后排列"]


def test_applicant_under_18(world):
    errors = run(world, book(world, members=[
        member_row(make_id("20000101", 57), "少年", "入党申请人", 申请入党日期=dt.date(2017, 6, 1)),
    ]))
    assert errors == ["党员 / 第3行 / 申请入党日期: 申请入党时年龄为17岁，未满18岁"]


def test_unknown_org_code(world):
    errors = run(world, book(world, members=[member_row(make_id("19900101", 58), "甲", branch="NOPE")]))
    assert errors == ["党员 / 第3行 / 所在组织编码: 组织编码“NOPE”不存在：组织表中没有，系统中也没有"]


def test_unknown_parent_code(world):
    errors = run(world, book(world, orgs=[org_row("B9", "新支部", "党支部", "NOPE")]))
    assert errors == ["组织 / 第3行 / 上级组织编码: 上级组织“NOPE”不存在：组织表中没有，系统中也没有"]


def test_wrong_parent_kind(world):
    errors = run(world, book(world, orgs=[
        org_row("B9", "支部下的支部", "党支部", "B1"),
        org_row("G9", "总支下的小组", "党小组", "ZZ"),
    ]))
    assert errors == [
        "组织 / 第3行 / 上级组织编码: 党支部的上级应为党委或党总支，“B1”是党支部",
        "组织 / 第4行 / 上级组织编码: 党小组的上级应为党支部，“ZZ”是党总支",
    ]


def test_parent_cycle(world):
    errors = run(world, book(world, orgs=[
        org_row("X1", "甲党委", "党委", "X2"),
        org_row("X2", "乙党委", "党委", "X1"),
    ]))
    assert errors == [
        "组织 / 第3行 / 上级组织编码: 上级组织编码形成循环：X1 → X2 → X1",
        "组织 / 第4行 / 上级组织编码: 上级组织编码形成循环：X2 → X1 → X2",
    ]


def test_duplicate_code_in_sheet(world):
    errors = run(world, book(world, orgs=[org_row("B9", "新支部", "党支部", "ZZ"), org_row("B9", "又一个", "党支部", "ZZ")]))
    assert errors == ["组织 / 第4行 / 组织编码: 组织编码“B9”与第3行重复"]


def test_duplicate_id_number_in_sheet(world):
    errors = run(world, book(world, members=[member_row(world.member.id_number, "重复的人")]))
    assert errors == ["党员 / 第3行 / 身份证号: 身份证号与第2行重复"]


def test_missing_required_column(world):
    headers = [h for h in MEMBER_HEADERS if h != "姓名"]
    source = xlsx({"组织": [ORG_HEADERS, GOOD_ORG],
                   "党员": [headers, {"身份证号": world.member.id_number, "人员类别": "正式党员", "所在组织编码": "B1"}]})
    assert run(world, source) == ["党员 / 姓名: 缺少必填列"]


def test_required_cell_empty(world):
    errors = run(world, book(world, members=[member_row(make_id("19900101", 59), "", "正式党员", "B1")]))
    assert errors == ["党员 / 第3行 / 姓名: 不能为空"]


def test_group_not_in_branch(world):
    errors = run(world, book(world, members=[member_row(make_id("19900101", 60), "甲", branch="B2", 党小组编码="G1")]))
    assert errors == ["党员 / 第3行 / 党小组编码: 党小组“G1”不属于所在党支部“B2”"]


def test_team_in_another_branch(world):
    errors = run(world, book(world, teams=[["T1", "一班", "B1", 10, None]],
                             members=[member_row(make_id("19900101", 61), "甲", branch="B2", 班组编码="T1")]))
    assert errors == ["党员 / 第3行 / 班组编码: 班组属于党支部“B1”，与所在党支部不一致"]


def test_team_branch_must_be_a_branch(world):
    errors = run(world, book(world, teams=[["T1", "一班", "ZZ", 10, None]]))
    assert errors == ["班组 / 第2行 / 所属组织编码: 班组须属于党支部，“ZZ”是党总支"]


def test_contact_member_not_a_party_member(world):
    applicant = make_id("19900101", 62)
    errors = run(world, book(world, teams=[["T1", "一班", "B1", 10, applicant]], members=[
        member_row(applicant, "申请人", "入党申请人", 申请入党日期=dt.date(2020, 1, 1))]))
    assert errors == ["班组 / 第2行 / 联系党员身份证号: 联系党员须为党员，此人是入党申请人"]


def test_contact_member_of_another_branch(world):
    errors = run(world, book(world, teams=[["T1", "一班", "B1", 10, world.b2_member.id_number]]))
    assert errors == ["班组 / 第2行 / 联系党员身份证号: 联系党员须为本支部党员"]


def test_contact_member_unknown(world):
    errors = run(world, book(world, teams=[["T1", "一班", "B1", 10, make_id("19900101", 63)]]))
    assert errors == ["班组 / 第2行 / 联系党员身份证号: 联系党员未登记：党员表和系统中都没有这个身份证号"]


def test_second_secretary_against_the_database(world):
    errors = run(world, book(world, members=[member_row(make_id("19900101", 64), "新书记", 党内职务="书记")]))
    assert errors == ["党员 / 第3行 / 党内职务: 本支部已有书记：张书记"]


def test_second_secretary_within_the_workbook(world):
    new_branch = org_row("B9", "新支部", "党支部", "ZZ")
    errors = run(world, book(world, orgs=[new_branch], members=[
        member_row(make_id("19900101", 65), "甲", branch="B9", 党内职务="书记"),
        member_row(make_id("19900101", 66), "乙", branch="B9", 党内职务="书记、组织委员"),
    ]))
    assert errors == ["党员 / 第4行 / 党内职务: 本支部已有书记：甲（第3行）"]


def test_id_number_stored_as_a_float_is_reported(world):
    errors = run(world, book(world, members=[member_row(1.10101199001011e17, "数字身份证")]))
    assert errors == ["党员 / 第3行 / 身份证号: 身份证号被Excel存成了数字，超过15位的数字已丢失末几位，无法识别；"
                      "请把该列设为“文本”格式后重新录入身份证号"]


def test_all_errors_are_collected_across_sheets(world):
    errors = run(world, book(world, orgs=[org_row("B9", "新支部", "党支部", "NOPE")], members=[
        member_row(make_id("19900101", 67), "甲", "群众"),
        member_row(make_id("20000101", 68), "乙", "入党申请人", 申请入党日期=dt.date(2017, 6, 1)),
    ]))
    assert errors == [
        "组织 / 第3行 / 上级组织编码: 上级组织“NOPE”不存在：组织表中没有，系统中也没有",
        "党员 / 第3行 / 人员类别: 人员类别“群众”无效，应为：入党申请人/入党积极分子/发展对象/预备党员/正式党员",
        "党员 / 第4行 / 申请入党日期: 申请入党时年龄为17岁，未满18岁",
    ]


def test_not_an_xlsx_file(world):
    errors = run(world, io.BytesIO("组织编码,组织名称\nB1,支部\n".encode()))
    assert errors == ["工作簿 / 文件: 无法读取文件：不是有效的Excel工作簿（.xlsx）。请用Excel另存为“Excel 工作簿(*.xlsx)”后再导入"]


def test_empty_workbook(world):
    out = io.BytesIO()
    Workbook().save(out)
    errors = run(world, out)
    assert errors == ["工作簿 / 文件: 工作簿中没有可导入的工作表：应至少包含以下工作表之一（含表头）：组织、班组、党员、活动、出勤"]


def test_headers_only_workbook(world):
    errors = run(world, xlsx({"组织": [ORG_HEADERS], "党员": [MEMBER_HEADERS]}))
    assert errors == ["工作簿 / 文件: 工作簿中没有数据行（只有表头），没有可导入的内容"]


def test_scope_branch_officer_outside_their_branch(world):
    scope = get_scope(world.sec1)
    source = xlsx({"党员": [MEMBER_HEADERS, member_row(make_id("19900101", 69), "外支部的人", branch="B2"),
                            good_member(world)]})
    errors = run(world, source, scope=scope)
    assert errors == ["党员 / 第2行 / 所在组织编码: 无权导入该组织的数据"]


def test_scope_existing_member_of_another_branch(world):
    row = member_row(world.b2_member.id_number, "王机关", branch="B1")
    errors = run(world, xlsx({"党员": [MEMBER_HEADERS, row, good_member(world)]}), scope=get_scope(world.sec1))
    assert errors == ["党员 / 第2行 / 身份证号: 无权导入该组织的数据"]


@pytest.mark.parametrize("username", ["zz_admin", "sec1"])
def test_scope_creating_a_root_committee_needs_the_system_admin(world, username):
    source = xlsx({"组织": [ORG_HEADERS, org_row("C9", "新党委", "党委", "")], "党员": [MEMBER_HEADERS, good_member(world)]})
    errors = run(world, source, scope=get_scope(getattr(world, username)))
    assert errors == ["组织 / 第2行 / 上级组织编码: 无权创建最上级党委（只有系统管理员可以）"]


def test_scope_org_admin_outside_their_subtree(world):
    source = xlsx({"组织": [ORG_HEADERS, GOOD_ORG, org_row("B9", "根下支部", "党支部", "ROOT"),
                           org_row("B2", "机关党支部改名", "党支部", "ROOT")]})
    errors = run(world, source, scope=get_scope(world.zz_admin))
    assert errors == ["组织 / 第3行 / 组织编码: 无权导入该组织的数据", "组织 / 第4行 / 组织编码: 无权导入该组织的数据"]


def test_scope_branch_officer_cannot_change_their_branch_record(world):
    errors = run(world, xlsx({"组织": [ORG_HEADERS, GOOD_ORG]}), scope=get_scope(world.sec1))
    assert errors == ["组织 / 第2行 / 组织编码: 无权导入该组织的数据"]


def test_changing_the_type_of_a_branch_with_members(world):
    source = xlsx({"组织": [ORG_HEADERS, org_row("B2", "机关党总支", "党总支", "ROOT")], "党员": [MEMBER_HEADERS, good_member(world)]})
    assert run(world, source) == ["组织 / 第2行 / 组织类型: 该党支部下还有人员或班组，不能改变组织类型"]
