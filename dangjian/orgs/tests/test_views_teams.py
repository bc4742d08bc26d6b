"""Red teams: coverage per branch and in total, filters, team create/edit."""

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Member, WorkTeam


@pytest.fixture
def teams(world):
    t1 = services.team_create(actor=None, branch=world.b1, code="T1", name="装卸一班", staff_count=12,
                              contact_member=world.member)
    services.team_create(actor=None, branch=world.b1, code="T2", name="装卸二班", staff_count=8)
    services.team_create(actor=None, branch=world.b2, code="T3", name="综合班")
    Member.objects.filter(pk=world.member.pk).update(team=t1)
    Member.objects.filter(pk=world.b2_member.pk).update(team=WorkTeam.objects.get(code="T3"))
    return world


@pytest.mark.django_db
def test_team_list_shows_coverage_of_the_scope(teams, client):
    client.force_login(teams.sec1)
    response = client.get(reverse("team_list"))
    html = response.content.decode()
    assert response.context["total"].teams == 2 and response.context["total"].red_teams == 1
    assert "50.0%" in html and "装卸一班" in html and "李党员" in html and "综合班" not in html
    client.force_login(teams.orgadmin)
    response = client.get(reverse("team_list"))
    assert response.context["total"].teams == 3 and response.context["total"].percent == "66.7%"


@pytest.mark.django_db
def test_team_list_filters_by_subtree_and_grey_teams(teams, client):
    client.force_login(teams.orgadmin)
    html = client.get(reverse("team_list") + "?org=B2").content.decode()
    assert "综合班" in html and "装卸一班" not in html
    html = client.get(reverse("team_list") + "?red=0").content.decode()
    assert "装卸二班" in html and "装卸一班" not in html


@pytest.mark.django_db
def test_team_create_offers_the_branchs_party_members_and_audits(teams, client):
    client.force_login(teams.sec1)
    html = client.get(reverse("branch_fields") + "?form=team&branch=B1").content.decode()
    assert "李党员" in html and "王机关" not in html
    response = client.post(reverse("team_create"), {"code": "T4", "name": "机修班", "branch": "B1",
                                                    "staff_count": "5", "contact_member": str(teams.sec_member.pk)})
    assert response.status_code == 302
    team = WorkTeam.objects.get(code="T4")
    assert team.contact_member == teams.sec_member
    assert AuditEntry.objects.filter(object_type="workteam", object_id=str(team.pk), action="create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"code": "T1", "name": "重复", "branch": "B1"}, "code", "已存在"),
    ({"code": "T5", "name": "", "branch": "B1"}, "name", "班组名称不能为空"),
    ({"code": "T5", "name": "外支部联系人", "branch": "B1", "contact_member": "B2MEMBER"}, "contact_member", "选择"),
    ({"code": "T5", "name": "越权", "branch": "B2"}, "branch", "不在您的权限范围内"),
])
def test_team_create_rejects_bad_input(teams, client, data, field, message):
    if data.get("contact_member") == "B2MEMBER":
        data = data | {"contact_member": str(teams.b2_member.pk)}
    client.force_login(teams.sec1)
    before = WorkTeam.objects.count()
    response = client.post(reverse("team_create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert WorkTeam.objects.count() == before


@pytest.mark.django_db
def test_team_edit_changes_contact_member(teams, client):
    client.force_login(teams.sec1)
    response = client.post(reverse("team_edit", args=["T2"]), {"code": "T2", "name": "装卸二班", "branch": "B1",
                                                              "contact_member": str(teams.sec_member.pk)})
    assert response.status_code == 302
    assert WorkTeam.objects.get(code="T2").contact_member == teams.sec_member
    entry = AuditEntry.objects.get(object_type="workteam", action="update")
    assert entry.after["contact_member"] == "张书记"
