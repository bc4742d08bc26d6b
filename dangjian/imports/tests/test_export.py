"""Export, the empty template, and the round trip: export → empty database → import gives the same data."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from conftest import make_id
from dangjian.core.idcard import parse_id_number
from dangjian.core.scoping import get_scope
from dangjian.imports.exporter import write_template, write_workbook
from dangjian.imports.importer import import_workbook
from dangjian.imports.sheets import handlers
from dangjian.orgs import services
from dangjian.orgs.models import Category, Member, Organization, OrgKind, WorkTeam

from .helpers import messages


@pytest.fixture
def rich_world(world):
    """The world plus a team with a contact, a member with every field, a group leader and a 党委 term."""
    services.org_update(actor=None, org=world.b2, term_started_on=dt.date(2023, 5, 4), term_years=5)
    full = services.member_create(
        actor=None, id_number=make_id("19750505", 81), name="周全", category=Category.FULL, branch=world.b1,
        group=world.g1, posts=["组织委员", "党小组长"], applied_on=dt.date(1998, 3, 1), activist_on=dt.date(1998, 9, 1),
        candidate_on=dt.date(1999, 9, 1), admitted_on=dt.date(2000, 7, 1), full_on=dt.date(2001, 7, 1),
        ethnicity="回族", education="硕士研究生", job_post="调度员", admin_title="副队长", phone="13600000009",
        work_status="退休")
    services.member_create(actor=None, id_number=make_id("20010203", 82), name="钱申请", category=Category.APPLICANT,
                           branch=world.b2, applied_on=dt.date(2022, 3, 1), work_status="学生")
    team = services.team_create(actor=None, branch=world.b1, code="0101", name="装卸一班", staff_count=30,
                                contact_member=full)
    services.member_update(actor=None, member=full, team=team)
    services.team_create(actor=None, branch=world.b2, code="JG1", name="综合班", staff_count=None)
    return world


def dump() -> tuple:
    by_pk = {o.pk: o for o in Organization.objects.all()}

    def parent(o):
        return Organization.objects.get_parent(o).code if o.depth > 1 else None

    orgs = sorted((o.code, o.name, o.kind, parent(o), o.founded_on, o.term_started_on, o.term_years)
                  for o in by_pk.values())
    teams = sorted((t.code, t.name, t.branch.code, t.staff_count, t.contact_member.id_number if t.contact_member else None)
                   for t in WorkTeam.objects.select_related("branch", "contact_member"))
    members = sorted((
        m.id_number, m.name, m.gender, m.birth_date, m.category, m.branch.code, m.group.code if m.group else None,
        m.team.code if m.team else None, m.applied_on, m.activist_on, m.candidate_on, m.admitted_on, m.full_on,
        m.ethnicity, m.education, m.job_post, m.admin_title, m.phone, m.work_status,
        tuple(sorted(m.posts.values_list("post", flat=True))),
    ) for m in Member.objects.select_related("branch", "group", "team"))
    return orgs, teams, members


def empty_database() -> None:
    Member.objects.all().delete()
    WorkTeam.objects.all().delete()
    Organization.objects.all().delete()
    assert not Organization.objects.exists()


def export(**kwargs) -> io.BytesIO:
    out = io.BytesIO()
    write_workbook(out, **kwargs)
    out.seek(0)
    return out


def test_round_trip_into_an_empty_database(rich_world):
    before = dump()
    source = export()
    empty_database()
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert dump() == before
    assert all(not problems for problems in Organization.objects.find_problems())
    # and exporting again gives an unchanged re-import
    again = import_workbook(export(), actor=None, dry_run=True)
    assert all(c["created"] == c["updated"] == 0 for c in again.summary.values())


def test_subtree_export_carries_its_ancestors_and_imports_into_an_empty_database(rich_world):
    zz = Organization.objects.get(code="ZZ")
    wb = load_workbook(export(root=zz))
    org_rows = list(wb["组织"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3]) for r in org_rows] == [("ROOT", None), ("ZZ", "ROOT"), ("B1", "ZZ"), ("G1", "B1")]
    members = {r[3] for r in wb["党员"].iter_rows(min_row=2, values_only=True)}
    assert members == {"B1"}
    assert [r[0] for r in wb["班组"].iter_rows(min_row=2, values_only=True)] == ["0101"]

    expected_b1 = [m for m in dump()[2] if m[5] == "B1"]
    empty_database()
    result = import_workbook(export_from(wb), actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert dump()[2] == expected_b1
    assert Organization.objects.get_parent(Organization.objects.get(code="ZZ")).code == "ROOT"


def export_from(wb) -> io.BytesIO:
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_scoped_export_of_a_branch_officer(rich_world):
    wb = load_workbook(export(scope=get_scope(rich_world.sec1), mask=True))
    assert wb.sheetnames[0] == "脱敏说明"
    assert [r[0] for r in wb["组织"].iter_rows(min_row=2, values_only=True)] == ["ROOT", "ZZ", "B1", "G1"]
    rows = list(wb["党员"].iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in rows} == {"B1"}
    secretary = next(r for r in rows if r[1] == "张书记")
    assert secretary[0] == rich_world.sec_member.id_number[:4] + "*" * 10 + rich_world.sec_member.id_number[-4:]
    assert secretary[15] == "138****0001"
    team = next(wb["班组"].iter_rows(min_row=2, values_only=True))
    assert "*" in team[4]


def test_masked_export_cannot_be_imported(rich_world):
    before = dump()
    result = import_workbook(export(mask=True), actor=None, dry_run=False)
    assert messages(result) == ["工作簿 / 文件: 此文件是脱敏导出的（身份证号、手机号码已隐去），仅供查阅，不能用于导入"]
    assert dump() == before


def test_export_format(rich_world):
    wb = load_workbook(export())
    assert wb.sheetnames == ["组织", "班组", "党员", "活动", "出勤"]
    for handler in handlers():
        ws = wb[handler.spec.name]
        assert [c.value for c in ws[1]] == handler.spec.headers
        assert ws["A1"].font.b
        assert ws["A1"].fill.fgColor.rgb[-6:] in {"B71C1C", "8E1212"}
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width == handler.spec.columns[0].width
    root = next(wb["组织"].iter_rows(min_row=2))
    assert root[4].is_date and root[4].value.date() == dt.date(2000, 1, 1)
    team = next(wb["班组"].iter_rows(min_row=2, values_only=True))
    assert team[0] == "0101"  # a code that looks like a number stays text
    member = next(r for r in wb["党员"].iter_rows(min_row=2, values_only=True) if r[1] == "周全")
    assert member[0] == make_id("19750505", 81) and isinstance(member[0], str)
    assert member[5] == "组织委员、党小组长"
    assert (member[2], member[16], member[17]) == ("正式党员", "0101", "退休")


def test_export_queries_do_not_grow_with_the_data(rich_world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # + 活动 and 出勤
        export()
    for i in range(30):
        services.member_create(actor=None, id_number=make_id("19900101", 200 + i), name=f"党员{i}",
                               category=Category.FULL, branch=rich_world.b2, posts=["委员"])
    with django_assert_max_num_queries(8):  # + 活动 and 出勤
        export()


def test_template_has_every_sheet_notes_and_a_valid_sample(world):
    out = io.BytesIO()
    write_template(out)
    out.seek(0)
    wb = load_workbook(out)
    assert wb.sheetnames == ["说明", *(h.spec.name for h in handlers())]
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for handler in handlers():
        assert [c.value for c in wb[handler.spec.name][1]] == handler.spec.headers
        assert wb[handler.spec.name].max_row >= 2
        for header in handler.spec.headers:
            assert header in notes
    sample_id = wb["党员"]["A2"].value
    assert parse_id_number(sample_id).number == sample_id
    assert wb["党员"]["A2"].number_format == "@"
    out.seek(0)
    result = import_workbook(out, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert result.summary["党员"]["created"] == 1
    assert Organization.objects.get(code="D001-01").kind == OrgKind.BRANCH
