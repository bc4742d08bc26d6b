"""Import of valid workbooks: creation, re-import, moves, links across sheets, audit, dry run, scope."""

import datetime as dt

import pytest

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.core.scoping import get_scope
from dangjian.imports.importer import import_workbook
from dangjian.imports.workbook import ImportIssue
from dangjian.orgs.models import Member, MemberPost, Organization, WorkTeam

from .helpers import MEMBER_HEADERS, ORG_HEADERS, TEAM_HEADERS, db_state, member_row, messages, org_row, xlsx

NEW_ID = make_id("19880808", 71)


def new_structure_book():
    """A new branch with a group, a team whose contact is a member defined further down, and that member."""
    return xlsx({
        "组织": [ORG_HEADERS,
                 org_row("G3", "新支部第一党小组", "党小组", "B3"),  # before its parent: order must not matter
                 org_row("B3", "新党支部", "党支部", "ZZ", dt.date(2020, 1, 1), dt.date(2023, 1, 1), 3)],
        "班组": [TEAM_HEADERS, ["T1", "一班", "B3", 12, NEW_ID]],
        "党员": [MEMBER_HEADERS, member_row(
            NEW_ID, "赵新", "正式党员", "B3", 党小组编码="G3", 党内职务="书记、党小组长", 班组编码="T1",
            申请入党日期=dt.date(2008, 1, 1), 确定积极分子日期=dt.date(2008, 7, 1), 确定发展对象日期=dt.date(2009, 7, 1),
            接收预备党员日期=dt.date(2010, 7, 1), 转正日期=dt.date(2011, 7, 1), 民族="汉族", 学历="大学本科",
            岗位="装卸工", 行政职务="班长", 手机号码=13812345678, 工作状态="在岗")],
    })


def test_import_creates_orgs_teams_members_and_links(world):
    result = import_workbook(new_structure_book(), actor=world.admin, dry_run=False)
    assert result.ok, messages(result)
    assert result.written
    assert result.summary == {"组织": {"created": 2, "updated": 0, "unchanged": 0},
                              "班组": {"created": 1, "updated": 0, "unchanged": 0},
                              "党员": {"created": 1, "updated": 0, "unchanged": 0}}
    b3 = Organization.objects.get(code="B3")
    g3 = Organization.objects.get(code="G3")
    assert Organization.objects.get_parent(b3).code == "ZZ"
    assert Organization.objects.get_parent(g3).code == "B3"
    assert (b3.founded_on, b3.term_started_on, b3.term_years) == (dt.date(2020, 1, 1), dt.date(2023, 1, 1), 3)
    assert Organization.objects.get(code="ZZ").numchild == 2
    assert all(not problems for problems in Organization.objects.find_problems())
    member = Member.objects.get(id_number=NEW_ID)
    assert (member.branch, member.group, member.team.code) == (b3, g3, "T1")
    assert member.phone == "13812345678"  # a number cell read as text
    assert (member.birth_date, member.gender) == (dt.date(1988, 8, 8), "男")
    assert sorted(member.posts.values_list("post", flat=True)) == ["书记", "党小组长"]
    assert WorkTeam.objects.get(code="T1").contact_member == member


def test_reimport_updates_without_duplicating(world):
    import_workbook(new_structure_book(), actor=None, dry_run=False)
    counts = (Organization.objects.count(), WorkTeam.objects.count(), Member.objects.count(), MemberPost.objects.count())
    audits = AuditEntry.objects.count()

    again = import_workbook(new_structure_book(), actor=None, dry_run=False)
    assert again.ok
    assert again.summary["党员"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again.summary["组织"]["unchanged"] == 2
    assert AuditEntry.objects.count() == audits, "unchanged rows are not audited"

    changed = xlsx({"党员": [MEMBER_HEADERS, member_row(NEW_ID, "赵新", "正式党员", "B3", 党小组编码="G3",
                                                       党内职务="组织委员", 班组编码="T1", 转正日期=dt.date(2011, 7, 1),
                                                       接收预备党员日期=dt.date(2010, 7, 1), 手机号码="13900000000")]})
    result = import_workbook(changed, actor=world.admin, dry_run=False)
    assert result.ok, messages(result)
    assert result.summary["党员"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert counts == (Organization.objects.count(), WorkTeam.objects.count(), Member.objects.count(),
                      MemberPost.objects.count() + 1)
    member = Member.objects.get(id_number=NEW_ID)
    assert member.phone == "13900000000"
    assert member.applied_on is None  # an empty cell means unknown
    assert list(member.posts.values_list("post", flat=True)) == ["组织委员"]
    entry = AuditEntry.objects.filter(object_type="member", object_id=str(member.pk), action="update").get()
    assert (entry.source, entry.actor, entry.org_path) == ("import", world.admin, member.branch.path)
    assert entry.before["posts"] == ["书记", "党小组长"] and entry.after["posts"] == ["组织委员"]
    assert entry.before["phone"] == "13812345678" and entry.after["phone"] == "13900000000"
    update = result.changes[0]
    assert ("手机号码", "13812345678", "13900000000") in update.fields


def test_created_rows_are_audited(world):
    import_workbook(new_structure_book(), actor=world.admin, dry_run=False)
    created = AuditEntry.objects.filter(source="import", action="create")
    assert sorted(created.values_list("object_type", flat=True)) == ["member", "organization", "organization",
                                                                     "workteam"]
    team_entry = created.get(object_type="workteam")
    assert team_entry.after["contact_member"] == "赵新" and team_entry.after["branch"] == "B3"
    org_entry = created.get(object_type="organization", object_repr="新党支部")
    assert org_entry.after["parent"] == "ZZ" and org_entry.after["code"] == "B3"


def test_missing_columns_keep_existing_values(world):
    headers = ["身份证号", "姓名", "人员类别", "所在组织编码"]
    source = xlsx({"党员": [headers, member_row(world.sec_member.id_number, "张书记改名", "正式党员", "B1")]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    member = Member.objects.get(pk=world.sec_member.pk)
    assert member.name == "张书记改名"
    assert (member.phone, member.group, member.full_on) == ("13800000001", world.g1, dt.date(2005, 7, 1))
    assert list(member.posts.values_list("post", flat=True)) == ["书记"]


def test_dry_run_writes_nothing(world):
    before = db_state(world)
    result = import_workbook(new_structure_book(), actor=world.admin, dry_run=True)
    assert result.ok and not result.written
    assert result.summary["党员"]["created"] == 1
    assert [c.key for c in result.changes] == ["G3", "B3", "T1", NEW_ID]
    assert db_state(world) == before
    assert not Organization.objects.filter(code="B3").exists()


def test_moving_an_org_with_its_subtree(world):
    source = xlsx({"组织": [ORG_HEADERS, org_row("B1", "装卸一队党支部", "党支部", "ROOT", dt.date(2010, 1, 1)),
                            org_row("B2", "机关党支部", "党支部", "ZZ")]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert result.summary["组织"] == {"created": 0, "updated": 2, "unchanged": 0}
    b1 = Organization.objects.get(code="B1")
    assert Organization.objects.get_parent(b1).code == "ROOT"
    assert Organization.objects.get_parent(Organization.objects.get(code="G1")) == b1
    assert Organization.objects.get_parent(Organization.objects.get(code="B2")).code == "ZZ"
    assert all(not problems for problems in Organization.objects.find_problems())
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(b1.pk), action="update")
    assert (entry.before["parent"], entry.after["parent"]) == ("ZZ", "ROOT")


def test_swapping_parent_and_child_in_one_import(world):
    # ZZ (党总支) cannot go under B1, but a 党委 chain can be reversed: X1 above X2 becomes X2 above X1.
    import_workbook(xlsx({"组织": [ORG_HEADERS, org_row("X1", "甲党委", "党委", "ROOT"),
                                   org_row("X2", "乙党委", "党委", "X1")]}), actor=None, dry_run=False)
    result = import_workbook(xlsx({"组织": [ORG_HEADERS, org_row("X1", "甲党委", "党委", "X2"),
                                            org_row("X2", "乙党委", "党委", "ROOT")]}), actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert Organization.objects.get_parent(Organization.objects.get(code="X1")).code == "X2"
    assert all(not problems for problems in Organization.objects.find_problems())


def test_term_years_left_empty_stays_empty(world):
    source = xlsx({"组织": [ORG_HEADERS, org_row("C2", "二级党委", "党委", "ROOT", term_start=dt.date(2022, 1, 1))]})
    assert import_workbook(source, actor=None, dry_run=False).ok
    org = Organization.objects.get(code="C2")
    assert org.term_years is None and org.effective_term_years == 5


def test_codes_stored_as_numbers_are_text(world):
    source = xlsx({"组织": [ORG_HEADERS, [101, "数字编码支部", "党支部", "ZZ", None, None, 3.0]],
                   "班组": [TEAM_HEADERS, [7, "七班", 101, "25", None]]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    org = Organization.objects.get(code="101")
    assert org.term_years == 3
    team = WorkTeam.objects.get(code="7")
    assert (team.branch, team.staff_count) == (org, 25)


def test_lowercase_x_and_text_dates(world):
    first17 = "11010119900101" + "123"
    from dangjian.core.idcard import check_digit

    number = first17 + check_digit(first17)
    source = xlsx({"党员": [MEMBER_HEADERS, member_row(number.lower(), "文本日期", "预备党员", "B2",
                                                       申请入党日期="2015-03-01", 确定积极分子日期="2015/09/01",
                                                       确定发展对象日期=dt.datetime(2016, 9, 1),
                                                       接收预备党员日期=" 2017-07-01 ")]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    member = Member.objects.get(id_number=number.upper())
    assert (member.applied_on, member.activist_on, member.candidate_on, member.admitted_on) == (
        dt.date(2015, 3, 1), dt.date(2015, 9, 1), dt.date(2016, 9, 1), dt.date(2017, 7, 1))


def test_headers_are_trimmed_and_unknown_columns_warned(world):
    headers = [" 身份证号 ", "姓名", "人员类别", "所在组织编码", "备注"]
    source = xlsx({"党员": [headers, [NEW_ID, "赵新", "正式党员", "B2", "随便写写"]], "附表": [["x"], [1]]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert [str(w) for w in result.warnings] == ["党员 / 第1行 / 备注: 不是标准模板中的列，已忽略",
                                                 "附表 / 工作表: 不是标准模板中的工作表，已忽略"]
    assert Member.objects.filter(id_number=NEW_ID, name="赵新").exists()


def test_secretary_can_move_between_members_in_one_workbook(world):
    """The post rule looks at the final state: the old 书记 steps down in the same workbook."""
    source = xlsx({"党员": [MEMBER_HEADERS,
                            member_row(world.sec_member.id_number, "张书记", "正式党员", "B1", 党小组编码="G1",
                                       接收预备党员日期=dt.date(2004, 7, 1), 转正日期=dt.date(2005, 7, 1)),
                            member_row(world.member.id_number, "李党员", "正式党员", "B1", 党内职务="书记")]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert list(MemberPost.objects.filter(post="书记", member__branch=world.b1).values_list("member__name", flat=True)) \
        == ["李党员"]


def test_branch_officer_imports_members_teams_and_groups_of_their_branch(world):
    source = xlsx({
        "组织": [ORG_HEADERS, org_row("ROOT", "集团党委", "党委", "", dt.date(2000, 1, 1), world.root.term_started_on),
                 org_row("B1", "装卸一队党支部", "党支部", "ZZ", dt.date(2010, 1, 1)),  # unchanged rows are fine
                 org_row("G2", "第二党小组", "党小组", "B1")],
        "班组": [TEAM_HEADERS, ["T1", "一班", "B1", 8, world.member.id_number]],
        "党员": [MEMBER_HEADERS, member_row(NEW_ID, "新党员", "正式党员", "B1", 党小组编码="G2", 班组编码="T1")],
    })
    result = import_workbook(source, actor=world.sec1, dry_run=False, scope=get_scope(world.sec1))
    assert result.ok, messages(result)
    assert Organization.objects.get_parent(Organization.objects.get(code="G2")) == world.b1
    assert Member.objects.get(id_number=NEW_ID).group.code == "G2"


def test_issue_format():
    assert str(ImportIssue("党员", 5, "姓名", "不能为空")) == "党员 / 第5行 / 姓名: 不能为空"
    assert str(ImportIssue("党员", None, "姓名", "缺少必填列")) == "党员 / 姓名: 缺少必填列"


def test_import_reads_in_constant_queries(world, django_assert_max_num_queries):
    """The dry run loads each kind of row once, whatever the size of the workbook."""
    rows = [member_row(make_id("19900101", 100 + i), f"党员{i}", "正式党员", "B2") for i in range(40)]
    with django_assert_max_num_queries(8):
        result = import_workbook(xlsx({"党员": [MEMBER_HEADERS, *rows]}), actor=None, dry_run=True)
    assert result.summary["党员"]["created"] == 40


@pytest.mark.parametrize("load_all_above", [0, 500])
def test_large_and_small_workbooks_load_the_same_people(world, monkeypatch, load_all_above):
    """Above a size the importer loads every member in one query instead of the named ones: same result."""
    monkeypatch.setattr("dangjian.imports.base.LOAD_ALL_MEMBERS_ABOVE", load_all_above)
    source = xlsx({
        "班组": [TEAM_HEADERS, ["T1", "一班", "B1", 8, world.member.id_number]],
        "党员": [MEMBER_HEADERS,
                 member_row(world.member.id_number, "李党员", "正式党员", "B1", 手机号码="13900000002", 班组编码="T1"),
                 member_row(NEW_ID, "新书记", "正式党员", "B1", 党内职务="书记")],
    })
    result = import_workbook(source, actor=None, dry_run=True)
    assert messages(result) == ["党员 / 第3行 / 党内职务: 本支部已有书记：张书记"]
    assert result.summary["党员"] == {"created": 1, "updated": 1, "unchanged": 0}
