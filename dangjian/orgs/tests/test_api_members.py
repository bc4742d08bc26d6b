"""/api/members: list, detail, create and update, per role; masking, filters, validation, audit, query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.api_auth import create_api_token
from dangjian.core.idcard import check_digit
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Category, Member

VALID_ID = "11010119960808001" + check_digit("11010119960808001")
WRONG_CHECK_DIGIT = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")


def call(client, user, method: str, url: str, data: dict | None = None):
    client.force_login(user)
    if method == "get":
        return client.get(url, data or {})
    return getattr(client, method)(url, data or {}, content_type="application/json")


def names(response) -> list[str]:
    return sorted(item["name"] for item in response.json()["items"])


def errors(response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in response.json()["detail"]:
        out.setdefault(e["field"], []).append(e["message"])
    return out


# --- list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, expected", [
    ("admin", ["张书记", "李党员", "王机关"]),
    ("orgadmin", ["张书记", "李党员", "王机关"]),
    ("zz_admin", ["张书记", "李党员"]),
    ("sec1", ["张书记", "李党员"]),
    ("member1", ["李党员"]),  # a plain member sees only themself
    ("outsider", ["王机关"]),
])
def test_list_is_scoped(world, client, role, expected):
    response = call(client, getattr(world, role), "get", "/api/members")
    assert response.status_code == 200
    assert names(response) == sorted(expected)
    assert response.json()["total"] == len(expected)


def test_list_item_fields(world, client):
    items = {i["name"]: i for i in call(client, world.admin, "get", "/api/members").json()["items"]}
    sec = items["张书记"]
    assert sec["id"] == world.sec_member.pk
    assert sec["category"] == "正式党员" and sec["gender"] == "男" and sec["birth_date"] == "1980-01-01"
    assert sec["branch_code"] == "B1" and sec["group_code"] == "G1" and sec["team_code"] is None
    assert sec["posts"] == ["书记"]
    assert sec["full_on"] == "2005-07-01" and sec["admitted_on"] == "2004-07-01" and sec["applied_on"] is None
    assert sec["work_status"] == "在岗"
    assert items["李党员"]["posts"] == [] and items["李党员"]["gender"] == "女"


@pytest.mark.parametrize("role, sees_ids, sees_phones", [
    ("admin", True, True),
    ("orgadmin", True, True),
    ("zz_admin", True, True),
    ("sec1", False, True),  # a branch officer sees phones, not ID numbers
])
def test_masking_in_list_and_detail(world, client, role, sees_ids, sees_phones):
    user = getattr(world, role)
    member = world.member
    listed = {i["id"]: i for i in call(client, user, "get", "/api/members").json()["items"]}[member.pk]
    detail = call(client, user, "get", f"/api/members/{member.pk}").json()
    for item in (listed, detail):
        assert item["id_number"] == (member.id_number if sees_ids else mask_id_number(member.id_number))
        assert item["phone"] == (member.phone if sees_phones else mask_phone(member.phone))
        assert item["id_number_masked"] is (not sees_ids)
        assert item["phone_masked"] is (not sees_phones)
    if not sees_ids:
        assert member.id_number not in str(call(client, user, "get", "/api/members").content.decode())


def test_officer_sees_own_id_number_but_masked_others(world, client):
    items = {i["id"]: i for i in call(client, world.sec1, "get", "/api/members").json()["items"]}
    assert items[world.sec_member.pk]["id_number"] == world.sec_member.id_number
    assert items[world.member.pk]["id_number"] == mask_id_number(world.member.id_number)


def test_plain_member_sees_own_data_unmasked(world, client):
    detail = call(client, world.member1, "get", f"/api/members/{world.member.pk}").json()
    assert detail["id_number"] == world.member.id_number and detail["phone"] == world.member.phone


@pytest.mark.parametrize("params, expected", [
    ({"category": "正式党员"}, ["张书记", "李党员", "王机关"]),
    ({"category": "activist"}, ["赵积极"]),
    ({"category": "入党积极分子", "org": "B2"}, []),
    ({"org": "B1"}, ["张书记", "李党员", "赵积极"]),
    ({"org": "G1"}, ["张书记"]),
    ({"org": "ZZ"}, ["张书记", "李党员", "赵积极"]),
    ({"q": "李"}, ["李党员"]),
    ({"q": "0002"}, ["李党员"]),  # phone ends with
    ({"job_post": "装卸"}, ["赵积极"]),
    ({"party_post": "书记"}, ["张书记", "王机关"]),
])
def test_list_filters(world, client, id_factory, params, expected):
    services.member_create(actor=None, id_number=id_factory("19950505"), name="赵积极", category=Category.ACTIVIST,
                           branch=world.b1, job_post="装卸工", applied_on=dt.date(2020, 1, 1),
                           activist_on=dt.date(2021, 1, 1))
    response = call(client, world.admin, "get", "/api/members", params)
    assert response.status_code == 200
    assert names(response) == sorted(expected)


@pytest.mark.parametrize("params, field", [
    ({"category": "群众"}, "category"), ({"party_post": "主任"}, "party_post"), ({"limit": 500}, "limit"),
])
def test_list_bad_filters_are_422(world, client, params, field):
    response = call(client, world.admin, "get", "/api/members", params)
    assert response.status_code == 422
    assert field in errors(response)


def test_list_org_filter_outside_scope_is_404(world, client):
    assert call(client, world.outsider, "get", "/api/members", {"org": "B1"}).status_code == 404
    assert call(client, world.member1, "get", "/api/members", {"org": "B1"}).status_code == 404


def test_list_pagination(world, client):
    first = call(client, world.admin, "get", "/api/members", {"limit": 2}).json()
    second = call(client, world.admin, "get", "/api/members", {"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def _add_members(world, id_factory, n: int) -> None:
    for i in range(n):
        services.member_create(actor=None, id_number=id_factory("19900101"), name=f"党员{i:02d}",
                               category=Category.FULL, branch=world.b1 if i % 2 else world.b2,
                               group=world.g1 if i % 2 else None, posts=["委员"] if i % 3 == 0 else [],
                               phone=f"1350000{i:04d}")


@pytest.mark.parametrize("auth", ["session", "token"])
def test_list_query_count_is_constant(world, client, id_factory, django_assert_max_num_queries, auth):
    user = world.orgadmin
    headers = {}
    if auth == "token":
        _, raw = create_api_token(user=user, name="t")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        client.get("/api/members", **headers)  # first use notes last_used_at
    else:
        client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/members", {"limit": 200}, **headers).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    _add_members(world, id_factory, 40)
    # auth (2) + role grants + count + page + posts
    with django_assert_max_num_queries(6):
        response = client.get("/api/members", {"limit": 200}, **headers)
    assert response.json()["total"] == 43
    assert queries() == few


# --- detail --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, target, status", [
    ("admin", "member", 200), ("orgadmin", "b2_member", 200), ("zz_admin", "member", 200),
    ("zz_admin", "b2_member", 404), ("sec1", "member", 200), ("sec1", "b2_member", 404),
    ("member1", "member", 200), ("member1", "sec_member", 404), ("member1", "b2_member", 404),
    ("outsider", "member", 404), ("outsider", "b2_member", 200),
])
def test_detail_per_role(world, client, role, target, status):
    response = call(client, getattr(world, role), "get", f"/api/members/{getattr(world, target).pk}")
    assert response.status_code == status
    if status == 404:
        assert response.json()["detail"] == "人员不存在或无权查看"


def test_detail_of_unknown_member_is_404(world, client):
    assert call(client, world.admin, "get", "/api/members/999999").status_code == 404


# --- create --------------------------------------------------------------------------------------


def new_member(id_factory, **extra) -> dict:
    return {"id_number": id_factory("19960808"), "name": "陈新", "category": "入党申请人", "branch_code": "B1",
            "applied_on": "2020-01-01", **extra}


@pytest.mark.parametrize("role, branch, status", [
    ("admin", "B1", 201), ("orgadmin", "B2", 201), ("zz_admin", "B1", 201), ("zz_admin", "B2", 422),
    ("sec1", "B1", 201), ("sec1", "B2", 422), ("member1", "B1", 403), ("outsider", "B1", 422),
    ("outsider", "B2", 201),
])
def test_create_per_role(world, client, id_factory, role, branch, status):
    response = call(client, getattr(world, role), "post", "/api/members", new_member(id_factory, branch_code=branch))
    assert response.status_code == status, response.content
    assert Member.objects.filter(name="陈新").exists() == (status == 201)
    if status == 422:
        assert errors(response) == {"branch_code": [f"所在党支部“{branch}”不存在或不在您的管理范围内"]}


def test_create_returns_the_member_masked_for_the_caller_and_is_audited(world, client, id_factory):
    services.team_create(actor=None, branch=world.b1, code="T1", name="一班")
    payload = new_member(id_factory, category="正式党员", group_code="G1", team_code="T1", posts=["组织委员"],
                         applied_on="2015-01-01", activist_on="2015-06-01", candidate_on="2016-01-01",
                         admitted_on="2016-07-01", full_on="2017-07-01", phone="13612345678", education="本科")
    response = call(client, world.sec1, "post", "/api/members", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert (member.branch.code, member.group.code, member.team.code) == ("B1", "G1", "T1")
    assert body["posts"] == ["组织委员"] and body["birth_date"] == "1996-08-08"
    assert body["id_number"] == mask_id_number(payload["id_number"]) and body["phone"] == "13612345678"
    entry = AuditEntry.objects.get(object_type="member", object_id=str(member.pk), action="create")
    assert entry.source == "api" and entry.actor == world.sec1 and entry.after["posts"] == ["组织委员"]


@pytest.mark.parametrize("changes, field, message", [
    ({"id_number": WRONG_CHECK_DIGIT}, "id_number", "身份证号校验位错误，请核对号码"),
    ({"applied_on": "2021-01-01", "activist_on": "2020-01-01", "category": "入党积极分子"}, "activist_on",
     "确定积极分子日期2020-01-01早于申请入党日期2021-01-01，日期应按入党程序先后排列"),
    ({"applied_on": "2020-02-30"}, "applied_on", "日期格式应为YYYY-MM-DD"),
    ({"category": "群众"}, "category", "人员类别“群众”无效，应为：入党申请人/入党积极分子/发展对象/预备党员/正式党员"),
    ({"branch_code": "ZZ"}, "branch_code", "所在组织“ZZ”不是党支部，党员须编入党支部"),
    ({"branch_code": "B2", "group_code": "G1"}, "group_code", "党小组“G1”不属于所在党支部“B2”"),
    ({"category": "正式党员", "posts": ["书记"], "applied_on": None}, "posts", "本支部已有书记：张书记"),
    ({"posts": ["主任"]}, "posts", "党内职务“主任”无效，应为：书记、副书记、组织委员、宣传委员、纪检委员、青年委员、委员、党小组长"),
    ({"name": ""}, "name", "姓名不能为空"),
    ({"phone": "12ab"}, "phone", "手机号码格式不正确（7至20位数字）"),
    ({"team_code": "NOPE"}, "team_code", "班组“NOPE”不存在或不在您的管理范围内"),
    ({"posts": "书记"}, "posts", "应为列表"),
])
def test_create_validation_errors_are_422(world, client, id_factory, changes, field, message):
    payload = new_member(id_factory, **changes)
    response = call(client, world.admin, "post", "/api/members", payload)
    assert response.status_code == 422, response.content
    assert message in errors(response)[field], errors(response)
    assert Member.objects.count() == 3
    assert not AuditEntry.objects.filter(source="api").exists()


def test_create_with_an_id_number_already_registered(world, client):
    payload = {"id_number": world.member.id_number, "name": "重复", "category": "正式党员", "branch_code": "B1"}
    response = call(client, world.admin, "post", "/api/members", payload)
    assert response.status_code == 422
    assert errors(response)["id_number"] == ["该身份证号已登记，不能重复录入"]


# --- update --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, target, status", [
    ("admin", "member", 200), ("orgadmin", "member", 200), ("zz_admin", "member", 200),
    ("zz_admin", "b2_member", 404), ("sec1", "member", 200), ("sec1", "sec_member", 200),
    ("member1", "member", 403), ("member1", "sec_member", 404), ("outsider", "member", 404),
    ("outsider", "b2_member", 200),
])
def test_update_per_role(world, client, role, target, status):
    member = getattr(world, target)
    response = call(client, getattr(world, role), "patch", f"/api/members/{member.pk}", {"education": "硕士"})
    assert response.status_code == status, response.content
    assert (Member.objects.get(pk=member.pk).education == "硕士") == (status == 200)


def test_update_changes_only_what_is_sent_and_is_audited(world, client):
    url = f"/api/members/{world.sec_member.pk}"
    response = call(client, world.orgadmin, "patch", url, {"phone": "13811112222", "group_code": None})
    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "13811112222" and body["group_code"] is None
    assert body["posts"] == ["书记"] and body["full_on"] == "2005-07-01"
    member = Member.objects.get(pk=world.sec_member.pk)
    assert member.group is None and member.name == "张书记"
    entry = AuditEntry.objects.get(object_type="member", object_id=str(member.pk), action="update")
    assert entry.source == "api" and entry.actor == world.orgadmin
    assert entry.before["phone"] == "13800000001" and entry.after["phone"] == "13811112222"


def test_update_posts_and_move_to_another_branch(world, client):
    url = f"/api/members/{world.member.pk}"
    response = call(client, world.orgadmin, "patch", url, {"posts": ["宣传委员"], "branch_code": "B2"})
    assert response.status_code == 200, response.content
    assert response.json()["posts"] == ["宣传委员"] and response.json()["branch_code"] == "B2"


@pytest.mark.parametrize("role, payload, field", [
    ("orgadmin", {"name": None}, "name"),
    ("orgadmin", {"category": "入党申请人"}, "admitted_on"),  # 正式党员's dates no longer fit
    ("orgadmin", {"full_on": "2001-01-01"}, "full_on"),  # before 接收预备党员日期
    ("orgadmin", {"nickname": "小张"}, "nickname"),
    ("sec1", {"branch_code": "B2"}, "branch_code"),  # outside the secretary's scope
])
def test_update_errors_change_nothing(world, client, role, payload, field):
    before = Member.objects.get(pk=world.sec_member.pk)
    response = call(client, getattr(world, role), "patch", f"/api/members/{world.sec_member.pk}", payload)
    assert response.status_code == 422, response.content
    assert field in errors(response)
    after = Member.objects.get(pk=world.sec_member.pk)
    assert (after.name, after.category, after.full_on, after.branch_id) == (
        before.name, before.category, before.full_on, before.branch_id)
    assert not AuditEntry.objects.filter(source="api").exists()
