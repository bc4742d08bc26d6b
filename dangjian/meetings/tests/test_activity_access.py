"""Every activity page, every role of the `world` fixture: 200 in scope, 404 outside it, 403 visible but
not allowed to change."""

import pytest
from django.urls import reverse

from dangjian.meetings import services
from dangjian.meetings.models import ActivityKind, ActivityStatus, Attendance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("templates_ready", "media_root")]

ROLES = ["admin", "orgadmin", "zz_admin", "sec1", "member1", "outsider"]
OFFICERS = {"admin": 200, "orgadmin": 200, "zz_admin": 200, "sec1": 200, "member1": 403, "outsider": 200}
B1_OFFICERS = {"admin": 200, "orgadmin": 200, "zz_admin": 200, "sec1": 200, "member1": 404, "outsider": 404}
EVERYONE = dict.fromkeys(ROLES, 200)


@pytest.fixture
def assembly(world, yesterday_3pm):
    return services.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                    title="党员大会", starts_at=yesterday_3pm)


GETS = [
    ("activity_list", lambda w, c, a: reverse("activity_list"), EVERYONE),
    ("activity_create", lambda w, c, a: reverse("activity_create"), OFFICERS),
    ("activity_create B1", lambda w, c, a: reverse("activity_create") + "?kind=committee_meeting&org=B1",
     {**B1_OFFICERS, "member1": 403}),
    ("committee detail", lambda w, c, a: reverse("activity_detail", args=[c.pk]), B1_OFFICERS),
    ("committee edit", lambda w, c, a: reverse("activity_edit", args=[c.pk]), B1_OFFICERS),
    # member1 is expected at the assembly: may read it, not change it.
    ("assembly detail", lambda w, c, a: reverse("activity_detail", args=[a.pk]), {**B1_OFFICERS, "member1": 200}),
    ("assembly edit", lambda w, c, a: reverse("activity_edit", args=[a.pk]), {**B1_OFFICERS, "member1": 403}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "url", "expected"), GETS, ids=[g[0] for g in GETS])
def test_pages_by_role(world, committee_meeting, assembly, client, role, label, url, expected):
    client.force_login(getattr(world, role))
    response = client.get(url(world, committee_meeting, assembly))
    assert response.status_code == expected[role], f"{label} as {role}"


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(world, committee_meeting, assembly, client, role):
    """POSTs to every write endpoint: officers of B1 succeed; member1 gets 403 where they see the activity
    and 404 where they do not; the outsider always 404."""
    client.force_login(getattr(world, role))
    officer = role in ("admin", "orgadmin", "zz_admin", "sec1")
    for activity in (committee_meeting, assembly):
        seen = officer or (role == "member1" and activity == assembly)
        refused = 403 if seen else 404
        posts = [
            (reverse("activity_advance", args=[activity.pk]), {"to": ActivityStatus.NOTIFIED}, 302),
            (reverse("activity_attendance", args=[activity.pk]),
             {"member": [world.sec_member.pk], f"status_{world.sec_member.pk}": "present"}, 302),
            (reverse("activity_detail", args=[activity.pk]), {"section": "record", "minutes": "记录"}, 302),
            (reverse("activity_edit", args=[activity.pk]),
             {"title": "改名", "day": "2025-01-01", "start_time": "09:00"}, 302),
            (reverse("evidence_upload", args=[activity.pk]), {"kind": "photo"}, 302),
        ]
        for url, data, ok in posts:
            response = client.post(url, data)
            assert response.status_code == (ok if officer else refused), f"{url} as {role}"
        activity.refresh_from_db()
        if not officer:
            assert activity.status == ActivityStatus.PLANNED and activity.minutes == "" and activity.title != "改名"
            assert Attendance.objects.get(activity=activity, member=world.sec_member).status == "absent"


def test_anonymous_is_sent_to_login(client, committee_meeting):
    for url in (reverse("activity_list"), reverse("activity_create"),
                reverse("activity_detail", args=[committee_meeting.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_shows_only_what_the_role_sees(world, committee_meeting, assembly, client):
    b2 = services.activity_create(actor=world.outsider, org=world.b2, kind=ActivityKind.COMMITTEE_MEETING,
                                  title="机关支委会", starts_at=assembly.starts_at)
    expected = {
        "admin": {committee_meeting.pk, assembly.pk, b2.pk}, "orgadmin": {committee_meeting.pk, assembly.pk, b2.pk},
        "zz_admin": {committee_meeting.pk, assembly.pk}, "sec1": {committee_meeting.pk, assembly.pk},
        "member1": {assembly.pk}, "outsider": {b2.pk},
    }
    for role, pks in expected.items():
        client.force_login(getattr(world, role))
        page = client.get(reverse("activity_list")).context["page"]
        assert {a.pk for a in page.object_list} == pks, role
