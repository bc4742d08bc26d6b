"""Category/date rules of IMPORT_FORMAT.md, shared by forms, the API and the importer."""

import datetime as dt
from typing import Any

import pytest

from conftest import make_id
from dangjian.orgs.models import Category
from dangjian.orgs.rules import MemberData, OrgRef, check_member, check_org, check_team

BRANCH = OrgRef(code="B1", kind="branch", path="00010001", depth=2)
GROUP = OrgRef(code="G1", kind="group", path="000100010001", depth=3)
OTHER_GROUP = OrgRef(code="G9", kind="group", path="000100020001", depth=3)
TODAY = dt.date(2026, 11, 21)
D = dt.date


def member(**kw: Any) -> MemberData:
    base: dict[str, Any] = {"id_number": make_id("19900101", 1), "name": "张三", "category": Category.FULL, "branch": BRANCH}
    return MemberData(**(base | kw))


def fields(errors):
    return [f for f, _ in errors]


def test_full_member_without_dates_is_valid():
    assert check_member(member(), today=TODAY) == []


def test_full_member_with_every_date_in_order_is_valid():
    m = member(applied_on=D(2010, 1, 1), activist_on=D(2010, 7, 1), candidate_on=D(2011, 7, 1),
               admitted_on=D(2012, 1, 1), full_on=D(2013, 1, 1))
    assert check_member(m, today=TODAY) == []


def test_dates_out_of_order():
    errors = check_member(member(applied_on=D(2012, 1, 1), activist_on=D(2011, 1, 1)), today=TODAY)
    assert ("activist_on", "确定积极分子日期2011-01-01早于申请入党日期2012-01-01，日期应按入党程序先后排列") in errors


def test_full_member_with_admission_but_no_full_date_disagrees():
    errors = check_member(member(admitted_on=D(2020, 1, 1)), today=TODAY)
    assert fields(errors) == ["full_on"]
    assert "填写了接收预备党员日期就须填写转正日期" in errors[0][1]


def test_probationary_member_with_full_date_disagrees():
    errors = check_member(member(category=Category.PROBATIONARY, admitted_on=D(2026, 1, 1),
                                 full_on=D(2026, 6, 1)), today=TODAY)
    assert ("full_on", "人员类别为预备党员，不应填写转正日期") in errors


def test_applicant_with_activist_date_disagrees():
    errors = check_member(member(category=Category.APPLICANT, applied_on=D(2025, 1, 1),
                                 activist_on=D(2025, 6, 1)), today=TODAY)
    assert fields(errors) == ["activist_on"]


def test_under_eighteen_applicant_is_rejected():
    errors = check_member(member(id_number=make_id("20080301", 3), category=Category.APPLICANT,
                                 applied_on=D(2026, 2, 28)), today=TODAY)
    assert ("applied_on", "申请入党时年龄为17岁，未满18岁") in errors


def test_eighteenth_birthday_is_old_enough():
    errors = check_member(member(id_number=make_id("20080301", 3), category=Category.APPLICANT,
                                 applied_on=D(2026, 3, 1)), today=TODAY)
    assert errors == []


def test_future_date_is_rejected():
    errors = check_member(member(category=Category.APPLICANT, applied_on=D(2027, 1, 1)), today=TODAY)
    assert "晚于今天" in dict(errors)["applied_on"]


def test_branch_must_be_a_branch_and_group_inside_it():
    assert fields(check_member(member(branch=OrgRef("ZZ", "general_branch")), today=TODAY)) == ["branch"]
    assert fields(check_member(member(group=OTHER_GROUP), today=TODAY)) == ["group"]
    assert check_member(member(group=GROUP), today=TODAY) == []


def test_posts_need_a_full_member_and_group_leader_needs_a_group():
    errors = check_member(member(category=Category.PROBATIONARY, admitted_on=D(2026, 1, 1), posts=["书记"]),
                          today=TODAY)
    assert ("posts", "预备党员不能担任党内职务（须为正式党员）") in errors
    assert ("posts", "担任党小组长须填写所在党小组") in check_member(member(posts=["党小组长"]), today=TODAY)
    assert fields(check_member(member(posts=["主席"]), today=TODAY)) == ["posts"]


def test_bad_id_number_and_phone_and_category():
    errors = check_member(member(id_number="110105194912310021", phone="abc", category="党员"), today=TODAY)
    assert set(fields(errors)) == {"id_number", "phone", "category"}


@pytest.mark.parametrize("kind, parent_kind, ok", [
    ("committee", None, True), ("branch", None, False), ("general_branch", "committee", True),
    ("general_branch", "general_branch", False), ("branch", "general_branch", True), ("branch", "committee", True),
    ("group", "branch", True), ("group", "committee", False),
])
def test_org_parent_kinds(kind, parent_kind, ok):
    parent = OrgRef("P", parent_kind) if parent_kind else None
    errors = check_org(code="X", name="某组织", kind=kind, parent=parent, founded_on=None, term_started_on=None,
                       term_years=None, today=TODAY)
    assert (errors == []) is ok


def test_group_has_no_term_and_term_years_range():
    errors = check_org(code="G", name="小组", kind="group", parent=OrgRef("B", "branch"), founded_on=None,
                       term_started_on=D(2024, 1, 1), term_years=None, today=TODAY)
    assert fields(errors) == ["term_started_on"]
    errors = check_org(code="B", name="支部", kind="branch", parent=OrgRef("C", "committee"), founded_on=D(2020, 1, 1),
                       term_started_on=D(2019, 1, 1), term_years=11, today=TODAY)
    assert set(fields(errors)) == {"term_started_on", "term_years"}


def test_team_contact_must_be_a_party_member_of_the_branch():
    base = {"code": "T1", "name": "装卸一班", "branch": BRANCH, "staff_count": 12}
    assert check_team(**base) == []
    assert fields(check_team(**base, contact_category=Category.ACTIVIST, contact_branch_code="B1")) == ["contact_member"]
    assert fields(check_team(**base, contact_category=Category.FULL, contact_branch_code="B2")) == ["contact_member"]
    assert fields(check_team(**(base | {"branch": OrgRef("G", "group")}))) == ["branch"]


@pytest.mark.parametrize("code", ["new", "Suggest", "A/B"])
def test_org_codes_that_cannot_be_addressed_are_refused(code):
    errors = check_org(code=code, name="某组织", kind="committee", parent=None, founded_on=None,
                       term_started_on=None, term_years=None, today=TODAY)
    assert fields(errors) == ["code"]
