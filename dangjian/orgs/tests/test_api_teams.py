"""/api/teams: work teams with party-member counts and red-team coverage, per role."""

import pytest

from dangjian.orgs import services


@pytest.fixture
def teams(world):
    t1 = services.team_create(actor=None, branch=world.b1, code="T1", name="装卸一班", staff_count=12,
                              contact_member=world.member)
    services.team_create(actor=None, branch=world.b1, code="T2", name="装卸二班", staff_count=8)
    services.team_create(actor=None, branch=world.b2, code="T3", name="综合班", staff_count=5)
    services.member_update(actor=None, member=world.member, team=t1)
    return world


def get(client, user, params: dict | None = None):
    client.force_login(user)
    return client.get("/api/teams", params or {})


@pytest.mark.parametrize("role, expected, red", [
    ("admin", ["T1", "T2", "T3"], 1),
    ("orgadmin", ["T1", "T2", "T3"], 1),
    ("zz_admin", ["T1", "T2"], 1),
    ("sec1", ["T1", "T2"], 1),
    ("member1", [], 0),
    ("outsider", ["T3"], 0),
])
def test_list_is_scoped_with_coverage(teams, client, role, expected, red):
    response = get(client, getattr(teams, role))
    assert response.status_code == 200
    body = response.json()
    assert [t["code"] for t in body["items"]] == expected
    assert body["total"] == len(expected)
    assert body["coverage"]["teams"] == len(expected) and body["coverage"]["red_teams"] == red


def test_items_and_coverage_figures(teams, client):
    body = get(client, teams.admin, {"org": "B1"}).json()
    t1, t2 = body["items"]
    assert t1 == {"code": "T1", "name": "装卸一班", "branch_code": "B1", "staff_count": 12, "party_members": 1,
                  "is_red": True, "contact_member": "李党员"}
    assert t2["is_red"] is False and t2["party_members"] == 0 and t2["contact_member"] is None
    assert body["coverage"] == {"teams": 2, "red_teams": 1, "ratio": 0.5, "percent": "50.0%"}


def test_empty_coverage_has_no_ratio(teams, client):
    body = get(client, teams.member1).json()
    assert body["coverage"] == {"teams": 0, "red_teams": 0, "ratio": None, "percent": "—"}


def test_org_filter_and_pagination(teams, client):
    assert [t["code"] for t in get(client, teams.admin, {"org": "ZZ"}).json()["items"]] == ["T1", "T2"]
    body = get(client, teams.admin, {"limit": 1, "offset": 1}).json()
    assert body["total"] == 3 and [t["code"] for t in body["items"]] == ["T2"]
    assert body["coverage"]["teams"] == 3  # coverage covers the whole filtered list, not the page


@pytest.mark.parametrize("role, org", [("outsider", "B1"), ("sec1", "B2"), ("member1", "B1"), ("admin", "NOPE")])
def test_org_filter_outside_scope_is_404(teams, client, role, org):
    assert get(client, getattr(teams, role), {"org": org}).status_code == 404


def test_query_count_is_constant(teams, client, django_assert_max_num_queries):
    for i in range(30):
        services.team_create(actor=None, branch=teams.b2, code=f"TX{i}", name=f"班组{i}")
    client.force_login(teams.admin)
    # session + user + coverage aggregate + page
    with django_assert_max_num_queries(4):
        body = client.get("/api/teams", {"limit": 200}).json()
    assert body["total"] == 33 and len(body["items"]) == 33 and body["coverage"]["red_teams"] == 1
