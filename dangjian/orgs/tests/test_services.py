"""Services: validation on write, the audit trail, moves, and the org statistics selector."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Category, Member, Organization
from dangjian.orgs.selectors import coverage_by_branch, coverage_total, org_stats, subtree


@pytest.mark.django_db
def test_member_create_writes_audit_with_after_state(world):
    m = services.member_create(actor=world.orgadmin, id_number=make_id("19950505", 41), name=" 赵六 ",
                               category=Category.ACTIVIST, branch=world.b1, applied_on=dt.date(2024, 1, 1),
                               activist_on=dt.date(2024, 6, 1))
    assert m.name == "赵六" and m.gender == "男" and m.birth_date == dt.date(1995, 5, 5)
    entry = AuditEntry.objects.get(object_type="member", object_id=str(m.pk))
    assert entry.action == "create" and entry.actor == world.orgadmin and entry.actor_name == "组织部"
    assert entry.after["category"] == "activist" and entry.after["branch"] == "B1"
    assert entry.org_path == world.b1.path


@pytest.mark.django_db
def test_member_update_records_before_and_after_and_skips_no_change(world):
    services.member_update(actor=world.sec1, member=world.member, phone="13911112222", posts=["组织委员"])
    entry = AuditEntry.objects.filter(object_type="member", object_id=str(world.member.pk), action="update").get()
    changed = {k: (b, a) for k, b, a in entry.changed_fields()}
    assert changed["phone"] == ("13900000002", "13911112222")
    assert changed["posts"] == ([], ["组织委员"])
    services.member_update(actor=world.sec1, member=world.member, phone="13911112222")
    assert AuditEntry.objects.filter(object_type="member", object_id=str(world.member.pk), action="update").count() == 1


@pytest.mark.django_db
def test_invalid_member_changes_nothing(world):
    before = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=None, id_number="110105194912310021", name="错号", category=Category.FULL,
                               branch=world.b1)
    assert "身份证号校验位错误" in exc.value.message_dict["id_number"][0]
    assert Member.objects.count() == before
    with pytest.raises(ValidationError):
        services.member_update(actor=None, member=world.member, category=Category.APPLICANT,
                               activist_on=dt.date(2020, 1, 1))
    world.member.refresh_from_db()
    assert world.member.category == Category.FULL


@pytest.mark.django_db
def test_duplicate_id_number_and_second_secretary_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=None, id_number=world.member.id_number, name="重复", category=Category.FULL,
                               branch=world.b2)
    assert "已登记" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=None, member=world.member, posts=["书记"])
    assert exc.value.message_dict["posts"] == ["本支部已有书记：张书记"]


@pytest.mark.django_db
def test_org_move_keeps_the_tree_consistent_and_is_audited(world):
    services.org_update(actor=world.admin, org=world.b2, parent=world.zz, move=True)
    b2 = Organization.objects.get(code="B2")
    assert b2.path.startswith(world.zz.path)
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    entry = AuditEntry.objects.filter(object_type="organization", action="update").latest("id")
    assert (entry.before["parent"], entry.after["parent"]) == ("ROOT", "ZZ")


@pytest.mark.django_db
def test_org_cannot_move_under_itself_or_take_a_wrong_parent(world):
    with pytest.raises(ValidationError) as exc:
        services.org_update(actor=world.admin, org=world.zz, parent=world.b1, move=True)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.org_create(actor=None, parent=world.g1, code="X1", name="错层", kind="branch")
    with pytest.raises(ValidationError) as exc:
        services.org_create(actor=None, parent=world.root, code="B1", name="重复", kind="branch")
    assert "已存在" in exc.value.message_dict["code"][0]


@pytest.mark.django_db
def test_org_delete_refuses_when_not_empty(world):
    with pytest.raises(ValidationError):
        services.org_delete(actor=world.admin, org=world.b1)
    empty = services.org_create(actor=None, parent=world.b1, code="G2", name="第二党小组", kind="group")
    services.org_delete(actor=world.admin, org=empty)
    assert AuditEntry.objects.filter(object_type="organization", action="delete").count() == 1


@pytest.mark.django_db
def test_org_stats_rolls_counts_up_the_tree_in_constant_queries(world, django_assert_num_queries):
    orgs = subtree(world.root)
    with django_assert_num_queries(2):
        stats = org_stats(orgs, today=dt.date(2026, 11, 21))
    by_code = {s.org.code: s for s in stats.values()}
    assert by_code["B1"].full_members == 2 and by_code["B1"].committee_posts == 1
    assert by_code["ZZ"].subtree_party_members == 2
    assert by_code["ROOT"].subtree_party_members == 3 and by_code["ROOT"].subtree_branches == 2
    assert [w.code for w in by_code["B1"].warnings] == ["ORG-SIZE-MIN"]
    assert by_code["ROOT"].subtree_warning_count == 2


@pytest.mark.django_db
def test_red_team_coverage(world):
    services.team_create(actor=None, branch=world.b1, code="T1", name="装卸一班", contact_member=world.member)
    services.team_create(actor=None, branch=world.b1, code="T2", name="装卸二班")
    services.member_update(actor=None, member=world.member, team=world.b1.teams.get(code="T1"))
    cov = coverage_by_branch(world.root)
    assert (cov[world.b1.pk].teams, cov[world.b1.pk].red_teams) == (2, 1)
    assert coverage_total(cov).percent == "50.0%"
    with pytest.raises(ValidationError) as exc:
        services.team_create(actor=None, branch=world.b1, code="T3", name="外支部联系", contact_member=world.b2_member)
    assert exc.value.message_dict["contact_member"] == ["联系党员须为本支部党员"]


@pytest.mark.django_db
def test_org_stats_over_subtrees_rooted_at_different_depths(world):
    """A user may hold a 党总支 and, elsewhere, a deeper branch: both subtrees get their counts."""
    orgs = subtree(world.zz) + subtree(world.b2)
    stats = {s.org.code: s for s in org_stats(orgs).values()}
    assert stats["B1"].full_members == 2 and stats["B2"].full_members == 1
    assert stats["ZZ"].subtree_party_members == 2


@pytest.mark.django_db
def test_officer_cannot_probe_masked_id_digits(world):
    from dangjian.orgs.selectors import member_list

    tail8 = world.member.id_number[-8:]
    assert list(member_list(world.sec1, q=tail8)) == []
    assert list(member_list(world.sec1, q=world.member.id_number[-4:])) == [world.member]
    assert list(member_list(world.orgadmin, q=tail8)) == [world.member]
