"""User services (create, update, grant, revoke) and the user pages: scope, audit, no passwords logged."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Role, RoleGrant, User

PASSWORD = "Kx9-党建-2024"


@pytest.mark.django_db
def test_user_create_audits_without_the_password(world):
    user = services.user_create(actor=world.orgadmin, username="zhao", password=PASSWORD, display_name="赵委员",
                                member=None, roles=[(Role.BRANCH_COMMITTEE, world.b1)])
    assert user.check_password(PASSWORD) and not user.is_superuser
    assert RoleGrant.objects.filter(user=user, role=Role.BRANCH_COMMITTEE, org=world.b1).exists()
    entries = AuditEntry.objects.filter(object_type__in=["user", "rolegrant"])
    assert {e.object_type for e in entries} == {"user", "rolegrant"}
    assert all(e.org_path == world.b1.path and e.actor == world.orgadmin for e in entries)
    logged = json.dumps([(e.before, e.after) for e in entries], ensure_ascii=False)
    assert PASSWORD not in logged and "pbkdf2" not in logged


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"username": "sec1"}, "username", "已被使用"),
    ({"username": ""}, "username", "不能为空"),
    ({"password": "12345678"}, "password", "数字"),
    ({"password": "short"}, "password", "太短"),
    ({"member": "linked"}, "member", "已关联账号"),
    ({"roles": [(Role.BRANCH_SECRETARY, "zz")]}, "org", "须授予党支部"),
])
def test_user_create_rejects_bad_input_in_chinese(world, kwargs, field, message):
    base = {"username": "newbie", "password": PASSWORD, "member": None, "roles": []}
    data = base | kwargs
    if data["member"] == "linked":
        data["member"] = world.member  # already member1's
    data["roles"] = [(r, world.zz if o == "zz" else o) for r, o in data["roles"]]
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=world.admin, **data)
    assert any(message in m for m in exc.value.message_dict[field])
    assert User.objects.count() == before


@pytest.mark.django_db
def test_org_admin_cannot_create_superusers_or_grant_outside_their_subtree(world):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=world.orgadmin, username="boss", password=PASSWORD, is_superuser=True)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=world.zz_admin, user=world.member1, role=Role.ORG_ADMIN, org=world.root)
    with pytest.raises(PermissionDenied):  # outsider holds a role in B2, outside ZZ
        services.user_update(actor=world.zz_admin, user=world.outsider, password=PASSWORD)
    assert services.may_manage_user(world.zz_admin, world.sec1)
    assert not services.may_manage_user(world.zz_admin, world.orgadmin)
    assert not services.may_manage_user(world.orgadmin, world.admin)


@pytest.mark.django_db
def test_grant_and_revoke_are_audited(world):
    grant = services.role_grant(actor=world.zz_admin, user=world.member1, role=Role.BRANCH_COMMITTEE, org=world.b1)
    services.role_revoke(actor=world.zz_admin, grant=grant)
    actions = list(AuditEntry.objects.filter(object_type="rolegrant").values_list("action", "org_path"))
    assert sorted(actions) == [("create", world.b1.path), ("delete", world.b1.path)]
    with pytest.raises(ValidationError):  # a duplicate
        services.role_grant(actor=None, user=world.sec1, role=Role.BRANCH_SECRETARY, org=world.b1)


@pytest.mark.django_db
def test_user_list_is_scoped(world, client):
    client.force_login(world.zz_admin)
    html = client.get(reverse("user_list")).content.decode()
    assert "sec1" in html and "member1" in html and "outsider" not in html and "orgadmin" not in html
    client.force_login(world.admin)
    html = client.get(reverse("user_list")).content.decode()
    assert "outsider" in html and "orgadmin" in html


@pytest.mark.django_db
def test_user_create_page(world, client):
    client.force_login(world.zz_admin)
    page = client.get(reverse("user_create")).content.decode()
    assert 'name="is_superuser"' not in page
    response = client.post(reverse("user_create"), {
        "username": "wang", "display_name": "王委员", "password": PASSWORD, "password2": PASSWORD,
        "role": Role.BRANCH_COMMITTEE, "org": "B1"})
    assert response.status_code == 302
    user = User.objects.get(username="wang")
    assert user.roles.get().org == world.b1
    assert AuditEntry.objects.filter(object_type="user", object_id=str(user.pk), action="create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"password2": "other"}, "password2", "不一致"),
    ({"password": "abc", "password2": "abc"}, "password", "太短"),
    ({"role": Role.ORG_ADMIN, "org": "ROOT"}, "org", "不在您的权限范围内"),
    ({"role": "", "org": ""}, "__all__", "请关联本单位的党员或授予一个角色"),
    ({"member": "B2MEMBER"}, "member", "不在您的权限范围内"),
])
def test_user_create_page_rejects_bad_input(world, client, data, field, message):
    client.force_login(world.zz_admin)
    post = {"username": "wang", "password": PASSWORD, "password2": PASSWORD, "role": Role.BRANCH_COMMITTEE,
            "org": "B1"} | data
    if post.get("member") == "B2MEMBER":
        post["member"] = str(world.b2_member.pk)
    response = client.post(reverse("user_create"), post)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert not User.objects.filter(username="wang").exists()


@pytest.mark.django_db
def test_user_edit_actions(world, client):
    client.force_login(world.zz_admin)
    url = reverse("user_edit", args=[world.member1.pk])
    assert client.post(url, {"action": "password", "password": PASSWORD, "password2": PASSWORD}).status_code == 302
    world.member1.refresh_from_db()
    assert world.member1.check_password(PASSWORD)
    entry = AuditEntry.objects.get(object_type="user", object_id=str(world.member1.pk))
    assert entry.after["password"] == "（已重置）" and PASSWORD not in json.dumps(entry.after, ensure_ascii=False)
    client.post(url, {"action": "profile", "display_name": "李", "member": str(world.member.pk)})
    world.member1.refresh_from_db()
    assert not world.member1.is_active  # the box was not ticked: deactivated
    client.post(url, {"action": "grant", "role": Role.BRANCH_COMMITTEE, "org": "B1"})
    grant = RoleGrant.objects.get(user=world.member1)
    client.post(url, {"action": "revoke", "grant": str(grant.pk)})
    assert not RoleGrant.objects.filter(user=world.member1).exists()


@pytest.mark.django_db
def test_user_edit_is_read_only_for_users_with_roles_elsewhere(world, client):
    RoleGrant.objects.create(user=world.sec1, role=Role.BRANCH_SECRETARY, org=world.b2)
    client.force_login(world.zz_admin)
    url = reverse("user_edit", args=[world.sec1.pk])
    assert "您只能查看" in client.get(url).content.decode()
    response = client.post(url, {"action": "password", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 403
    world.sec1.refresh_from_db()
    assert not world.sec1.check_password(PASSWORD)
