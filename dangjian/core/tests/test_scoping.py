"""The scope of each role, on the helpers every view and endpoint uses."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from dangjian.core.scoping import (
    get_member_for_user,
    get_org_for_user,
    get_scope,
    members_for,
    orgs_for,
    require,
)
from dangjian.orgs.models import OrgKind, User


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


@pytest.mark.django_db
def test_visible_organizations_per_role(world):
    assert codes(orgs_for(world.admin)) == ["B1", "B2", "G1", "ROOT", "ZZ"]
    assert codes(orgs_for(world.orgadmin)) == ["B1", "B2", "G1", "ROOT", "ZZ"]
    assert codes(orgs_for(world.zz_admin)) == ["B1", "G1", "ZZ"]
    assert codes(orgs_for(world.sec1)) == ["B1", "G1"]
    assert codes(orgs_for(world.member1)) == []
    assert codes(orgs_for(world.outsider)) == ["B2"]


@pytest.mark.django_db
def test_visible_members_per_role(world):
    names = lambda u: sorted(members_for(u).values_list("name", flat=True))  # noqa: E731
    assert names(world.zz_admin) == ["张书记", "李党员"]
    assert names(world.sec1) == ["张书记", "李党员"]
    assert names(world.member1) == ["李党员"]
    assert names(world.outsider) == ["王机关"]


@pytest.mark.django_db
def test_outsider_gets_404_not_403(world):
    with pytest.raises(Http404):
        get_org_for_user(world.outsider, "B1")
    with pytest.raises(Http404):
        get_member_for_user(world.outsider, world.member.pk)
    with pytest.raises(Http404):
        get_member_for_user(world.member1, world.sec_member.pk)
    assert get_member_for_user(world.member1, world.member.pk) == world.member


@pytest.mark.django_db
def test_write_permissions(world):
    sec = get_scope(world.sec1)
    assert not sec.manages_org(world.b1) and sec.manages_org(world.g1)
    assert sec.may_add_child(world.b1, OrgKind.GROUP) and not sec.may_add_child(world.b1, OrgKind.BRANCH)
    zz = get_scope(world.zz_admin)
    assert zz.manages_org(world.b1) and not zz.manages_org(world.b2) and not zz.may_add_child(None, "committee")
    assert get_scope(world.admin).may_add_child(None, "committee")
    with pytest.raises(PermissionDenied):
        require(sec.manages_org(world.b1))


@pytest.mark.django_db
def test_who_sees_id_numbers_and_phones(world):
    sec = get_scope(world.sec1)
    assert not sec.sees_id_numbers(world.member) and sec.sees_phones(world.member)
    assert get_scope(world.orgadmin).sees_id_numbers(world.member)
    mem = get_scope(world.member1)
    assert mem.sees_id_numbers(world.member) and not mem.sees_phones(world.sec_member)


@pytest.mark.django_db
def test_inactive_user_has_no_scope(world):
    world.sec1.is_active = False
    world.sec1.save()
    assert codes(orgs_for(User.objects.get(pk=world.sec1.pk))) == []
