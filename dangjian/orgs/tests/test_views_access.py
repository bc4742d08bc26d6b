"""Every page, every role of the `world` fixture: 200 in scope, 404 outside it, 403 visible but not allowed."""

import pytest
from django.urls import reverse

from dangjian.orgs import services

ROLES = ["admin", "orgadmin", "zz_admin", "sec1", "member1", "outsider"]
OFFICERS_ONLY = {"admin": 200, "orgadmin": 200, "zz_admin": 200, "sec1": 200, "member1": 403, "outsider": 200}
ADMINS_ONLY = {"admin": 200, "orgadmin": 200, "zz_admin": 200, "sec1": 403, "member1": 403, "outsider": 403}
B1_VISIBLE = {"admin": 200, "orgadmin": 200, "zz_admin": 200, "sec1": 200, "member1": 404, "outsider": 404}

CASES = [
    ("home", lambda w: reverse("home"), {**OFFICERS_ONLY, "member1": 302}),
    ("org_tree", lambda w: reverse("org_tree"), OFFICERS_ONLY),
    ("org_tree search", lambda w: reverse("org_tree") + "?q=党支部", OFFICERS_ONLY),
    ("org_tree warnings", lambda w: reverse("org_tree") + "?warnings=1", OFFICERS_ONLY),
    ("org_children ZZ", lambda w: reverse("org_children", args=["ZZ"]), {**B1_VISIBLE, "sec1": 404}),
    ("org_detail B1", lambda w: reverse("org_detail", args=["B1"]), B1_VISIBLE),
    ("org_edit B1", lambda w: reverse("org_edit", args=["B1"]), {**B1_VISIBLE, "sec1": 403}),
    ("org_edit G1", lambda w: reverse("org_edit", args=["G1"]), B1_VISIBLE),
    ("org_create", lambda w: reverse("org_create"), OFFICERS_ONLY),
    ("org_create under B1", lambda w: reverse("org_create") + "?parent=B1", {**B1_VISIBLE, "member1": 403}),
    ("org_create under G1 (nothing sits under a 党小组)", lambda w: reverse("org_create") + "?parent=G1",
     {**dict.fromkeys(ROLES, 403), "outsider": 404}),
    ("member_list", lambda w: reverse("member_list"), OFFICERS_ONLY),
    ("member_detail", lambda w: reverse("member_detail", args=[w.member.pk]), {**B1_VISIBLE, "member1": 200}),
    ("member_detail other", lambda w: reverse("member_detail", args=[w.sec_member.pk]), B1_VISIBLE),
    ("member_edit", lambda w: reverse("member_edit", args=[w.member.pk]), {**B1_VISIBLE, "member1": 403}),
    ("member_create", lambda w: reverse("member_create"), OFFICERS_ONLY),
    ("member_create in B1", lambda w: reverse("member_create") + "?branch=B1", {**B1_VISIBLE, "member1": 403}),
    ("member_delete", lambda w: reverse("member_delete", args=[w.member.pk]),
     {**B1_VISIBLE, "sec1": 403, "member1": 403}),
    ("team_list", lambda w: reverse("team_list"), OFFICERS_ONLY),
    ("team_create", lambda w: reverse("team_create"), OFFICERS_ONLY),
    ("team_edit", lambda w: reverse("team_edit", args=["T1"]), B1_VISIBLE),
    ("user_list", lambda w: reverse("user_list"), ADMINS_ONLY),
    ("user_create", lambda w: reverse("user_create"), ADMINS_ONLY),
    ("user_edit member1", lambda w: reverse("user_edit", args=[w.member1.pk]), ADMINS_ONLY),
    ("user_edit outsider", lambda w: reverse("user_edit", args=[w.outsider.pk]), {**ADMINS_ONLY, "zz_admin": 404}),
    ("user_edit admin", lambda w: reverse("user_edit", args=[w.admin.pk]),
     {**ADMINS_ONLY, "orgadmin": 404, "zz_admin": 404}),
    ("me", lambda w: reverse("me"), dict.fromkeys(ROLES, 200)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_status_by_role(world, client, role, label, url, expected):
    services.team_create(actor=None, branch=world.b1, code="T1", name="装卸一班", contact_member=world.member)
    client.force_login(getattr(world, role))
    response = client.get(url(world))
    assert response.status_code == expected[role], f"{label} as {role}"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world):
    for name in ("org_tree", "member_list", "team_list", "user_list", "me"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_member_without_rights_cannot_post_changes(world, client):
    client.force_login(world.member1)
    response = client.post(reverse("member_edit", args=[world.member.pk]), {"name": "改名"})
    assert response.status_code == 403
    world.member.refresh_from_db()
    assert world.member.name == "李党员"
