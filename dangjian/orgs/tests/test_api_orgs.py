"""/api/orgs: list, detail, create and update, per role; filters, pagination, validation and audit."""

import datetime as dt

import pytest

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Category, Organization

ROLES = ["admin", "orgadmin", "zz_admin", "sec1", "member1", "outsider"]


def call(client, user, method: str, url: str, data: dict | None = None):
    client.force_login(user)
    if method == "get":
        return client.get(url, data or {})
    return getattr(client, method)(url, data or {}, content_type="application/json")


def codes(response) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


def errors(response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in response.json()["detail"]:
        out.setdefault(e["field"], []).append(e["message"])
    return out


# --- list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, expected", [
    ("admin", ["ROOT", "ZZ", "B1", "G1", "B2"]),
    ("orgadmin", ["ROOT", "ZZ", "B1", "G1", "B2"]),
    ("zz_admin", ["ZZ", "B1", "G1"]),
    ("sec1", ["B1", "G1"]),
    ("member1", []),
    ("outsider", ["B2"]),
])
def test_list_is_scoped(world, client, role, expected):
    response = call(client, getattr(world, role), "get", "/api/orgs")
    assert response.status_code == 200
    assert codes(response) == expected
    assert response.json()["total"] == len(expected)


def test_list_item_fields(world, client):
    items = {i["code"]: i for i in call(client, world.admin, "get", "/api/orgs").json()["items"]}
    today = dt.date.today()
    root = items["ROOT"]
    assert root["kind"] == "党委" and root["parent_code"] is None and root["depth"] == 1
    assert root["founded_on"] == "2000-01-01"
    assert root["term_ends_on"] == today.replace(year=today.year + 4).isoformat()  # 5-year term begun a year ago
    assert items["B1"]["parent_code"] == "ZZ" and items["B1"]["kind"] == "党支部" and items["B1"]["depth"] == 3
    assert items["G1"]["term_ends_on"] is None


@pytest.mark.parametrize("params, expected", [
    ({"kind": "党支部"}, ["B1", "B2"]),
    ({"kind": "branch"}, ["B1", "B2"]),
    ({"under": "ZZ"}, ["ZZ", "B1", "G1"]),
    ({"under": "ZZ", "kind": "党小组"}, ["G1"]),
    ({"q": "机关"}, ["B2"]),
    ({"q": "zz"}, ["ZZ"]),
])
def test_list_filters(world, client, params, expected):
    assert codes(call(client, world.admin, "get", "/api/orgs", params)) == expected


def test_list_pagination(world, client):
    body = call(client, world.admin, "get", "/api/orgs", {"limit": 2, "offset": 1}).json()
    assert body["total"] == 5 and body["limit"] == 2 and body["offset"] == 1
    assert [i["code"] for i in body["items"]] == ["ZZ", "B1"]


@pytest.mark.parametrize("params, field, message", [
    ({"limit": 201}, "limit", "应不大于200"),
    ({"limit": 0}, "limit", "应不小于1"),
    ({"offset": -1}, "offset", "应不小于0"),
    ({"limit": "x"}, "limit", "应为整数"),
    ({"kind": "支部"}, "kind", "组织类型“支部”无效，应为：党委/党总支/党支部/党小组"),
])
def test_list_bad_parameters_are_422(world, client, params, field, message):
    response = call(client, world.admin, "get", "/api/orgs", params)
    assert response.status_code == 422
    assert errors(response) == {field: [message]}


def test_list_under_an_org_outside_scope_is_404(world, client):
    assert call(client, world.outsider, "get", "/api/orgs", {"under": "B1"}).status_code == 404
    assert call(client, world.outsider, "get", "/api/orgs", {"under": "NOPE"}).status_code == 404


def test_list_query_count_is_constant(world, client, django_assert_max_num_queries):
    client.force_login(world.admin)
    for i in range(20):
        services.org_create(actor=None, parent=world.zz, code=f"BX{i}", name=f"支部{i}", kind="branch")
    # session + user + count + page + parent codes
    with django_assert_max_num_queries(5):
        response = client.get("/api/orgs", {"limit": 200})
    assert response.json()["total"] == 25


# --- detail --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, status", [
    ("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200), ("member1", 404), ("outsider", 404),
])
def test_detail_per_role(world, client, role, status):
    assert call(client, getattr(world, role), "get", "/api/orgs/B1").status_code == status


def test_detail_unknown_code_is_404_in_chinese(world, client):
    response = call(client, world.admin, "get", "/api/orgs/NOPE")
    assert response.status_code == 404
    assert response.json()["detail"] == "组织不存在或无权查看"


def test_detail_counts_warnings_and_coverage(world, client, id_factory):
    services.member_create(actor=None, id_number=id_factory("19950505"), name="赵积极", category=Category.ACTIVIST,
                           branch=world.b1, applied_on=dt.date(2020, 1, 1), activist_on=dt.date(2021, 1, 1))
    services.team_create(actor=None, branch=world.b1, code="T1", name="一班", contact_member=world.member)
    services.team_create(actor=None, branch=world.b1, code="T2", name="二班")
    services.member_update(actor=None, member=world.member, team=world.b1.teams.get(code="T1"))
    b1 = call(client, world.orgadmin, "get", "/api/orgs/B1").json()
    assert b1["members"]["正式党员"] == 2 and b1["members"]["入党积极分子"] == 1
    assert b1["party_members"] == 2 and b1["committee_posts"] == 1
    assert [w["code"] for w in b1["warnings"]] == ["ORG-SIZE-MIN"]  # 2 full members < 3
    assert b1["warnings"][0]["level"] == "danger" and "正式党员2人" in b1["warnings"][0]["message"]
    assert b1["coverage"] == {"teams": 2, "red_teams": 1, "ratio": 0.5, "percent": "50.0%"}
    root = call(client, world.orgadmin, "get", "/api/orgs/ROOT").json()
    assert root["members"]["正式党员"] == 0
    assert root["subtree_members"]["正式党员"] == 3 and root["subtree_party_members"] == 3
    assert root["subtree_branches"] == 2 and root["subtree_warning_count"] == 2
    assert root["coverage"]["teams"] == 2 and root["parent_code"] is None


# --- create --------------------------------------------------------------------------------------


def new_branch(code: str = "B3", parent: str = "ZZ", **extra) -> dict:
    return {"code": code, "name": "新支部", "kind": "党支部", "parent_code": parent, **extra}


@pytest.mark.parametrize("role, payload, status", [
    ("admin", {"code": "R2", "name": "另一党委", "kind": "党委"}, 201),
    ("orgadmin", {"code": "R2", "name": "另一党委", "kind": "党委"}, 403),
    ("orgadmin", new_branch(), 201),
    ("zz_admin", new_branch(), 201),
    ("zz_admin", new_branch(parent="ROOT"), 422),  # ROOT is outside zz_admin's scope
    ("sec1", new_branch(parent="B1"), 403),  # a secretary adds 党小组s only
    ("sec1", {"code": "G2", "name": "第二党小组", "kind": "党小组", "parent_code": "B1"}, 201),
    ("member1", {"code": "G2", "name": "第二党小组", "kind": "党小组", "parent_code": "B1"}, 422),
    ("outsider", {"code": "G2", "name": "第二党小组", "kind": "党小组", "parent_code": "B1"}, 422),
    ("outsider", {"code": "G2", "name": "第二党小组", "kind": "group", "parent_code": "B2"}, 201),
])
def test_create_per_role(world, client, role, payload, status):
    response = call(client, getattr(world, role), "post", "/api/orgs", payload)
    assert response.status_code == status, response.content
    assert Organization.objects.filter(code=payload["code"]).exists() == (status == 201)
    if status == 422:
        assert "不存在或不在您的管理范围内" in errors(response)["parent_code"][0]


def test_create_returns_the_org_and_is_audited(world, client):
    payload = new_branch(founded_on="2020-05-01", term_started_on="2023-05-01", term_years=3)
    response = call(client, world.orgadmin, "post", "/api/orgs", payload)
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "B3" and body["parent_code"] == "ZZ" and body["kind"] == "党支部"
    assert body["term_ends_on"] == "2026-05-01"
    org = Organization.objects.get(code="B3")
    assert Organization.objects.get_parent(org).code == "ZZ"
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(org.pk), action="create")
    assert entry.source == "api" and entry.actor == world.orgadmin and entry.after["parent"] == "ZZ"


@pytest.mark.parametrize("payload, field, message", [
    ({"code": "G2", "name": "小组", "kind": "党小组", "parent_code": "ZZ"}, "parent_code",
     "党小组的上级应为党支部，“ZZ”是党总支"),
    (new_branch(code="B1"), "code", "组织编码“B1”已存在"),
    (new_branch(name="  "), "name", "组织名称不能为空"),
    (new_branch(founded_on="2020-05-01", term_started_on="2019-01-01"), "term_started_on", "本届任期开始早于成立日期"),
    (new_branch(term_years=12), "term_years", "任期年限应为1至10之间的整数"),
    (new_branch(founded_on="2020/05/01"), "founded_on", "日期格式应为YYYY-MM-DD"),
    (new_branch(kind="支部"), "kind", "组织类型“支部”无效，应为：党委/党总支/党支部/党小组"),
    ({"code": "B3", "kind": "党支部", "parent_code": "ZZ"}, "name", "此项必填"),
    (new_branch(colour="red"), "colour", "不支持此字段"),
])
def test_create_validation_errors_are_422(world, client, payload, field, message):
    response = call(client, world.admin, "post", "/api/orgs", payload)
    assert response.status_code == 422
    assert message in errors(response)[field]
    assert not Organization.objects.filter(code=payload["code"], name=payload.get("name", "")).exists()
    assert not AuditEntry.objects.filter(source="api").exists()


def test_create_with_a_non_json_body_is_400(world, client):
    client.force_login(world.admin)
    response = client.post("/api/orgs", "{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "请求体无法解析，应为JSON"


# --- update --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, code, status", [
    ("admin", "B1", 200), ("orgadmin", "B1", 200), ("zz_admin", "B1", 200),
    ("sec1", "B1", 403), ("sec1", "G1", 200), ("member1", "B1", 404), ("member1", "G1", 404),
    ("outsider", "B1", 404), ("outsider", "B2", 403), ("zz_admin", "B2", 404),
])
def test_update_per_role(world, client, role, code, status):
    response = call(client, getattr(world, role), "patch", f"/api/orgs/{code}", {"name": "新名称"})
    assert response.status_code == status, response.content
    assert (Organization.objects.get(code=code).name == "新名称") == (status == 200)


def test_update_changes_only_what_is_sent_and_is_audited(world, client):
    response = call(client, world.orgadmin, "patch", "/api/orgs/B1", {"name": "装卸二队党支部", "term_years": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "装卸二队党支部" and body["term_years"] == 5 and body["founded_on"] == "2010-01-01"
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(world.b1.pk), action="update")
    assert entry.source == "api" and entry.before["name"] == "装卸一队党支部"
    assert entry.after["name"] == "装卸二队党支部"


def test_update_moves_with_parent_code(world, client):
    response = call(client, world.orgadmin, "patch", "/api/orgs/B2", {"parent_code": "ZZ"})
    assert response.status_code == 200
    assert response.json()["parent_code"] == "ZZ" and response.json()["depth"] == 3
    assert Organization.objects.get_parent(Organization.objects.get(code="B2")).code == "ZZ"


@pytest.mark.parametrize("role, payload, status, field", [
    ("orgadmin", {"parent_code": "G1"}, 422, "parent_code"),  # a branch under a 党小组
    ("orgadmin", {"parent_code": None}, 422, "parent_code"),
    ("zz_admin", {"parent_code": "ROOT"}, 422, "parent_code"),  # outside zz_admin's scope
    ("orgadmin", {"kind": "党总支"}, 422, "kind"),  # B1 still has members
    ("orgadmin", {"founded_on": "2010-13-01"}, 422, "founded_on"),
    ("orgadmin", {"code": ""}, 422, "code"),
])
def test_update_errors(world, client, role, payload, status, field):
    response = call(client, getattr(world, role), "patch", "/api/orgs/B1", payload)
    assert response.status_code == status, response.content
    assert field in errors(response)
    b1 = Organization.objects.get(pk=world.b1.pk)
    assert (b1.code, b1.name, b1.kind, b1.path) == ("B1", "装卸一队党支部", "branch", world.b1.path)


def test_update_cannot_move_into_own_subtree(world, client):
    response = call(client, world.admin, "patch", "/api/orgs/ZZ", {"parent_code": "B1"})
    assert response.status_code == 422
    assert "parent_code" in errors(response)


def test_secretary_cannot_turn_a_group_into_a_branch(world, client):
    response = call(client, world.sec1, "patch", "/api/orgs/G1", {"kind": "党支部"})
    assert response.status_code == 403
    assert Organization.objects.get(code="G1").kind == "group"
