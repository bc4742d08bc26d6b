"""The assessment API: schemes, results (the same JSON as `evaluate --json`), the process 自评 → 审核 → 认定 as
POSTs, checklists, posts and KPI, the wall; scoping (outsiders get 404, the wrong role 403) and Chinese 422s."""

import datetime as dt
import json

import pytest

from dangjian.assessment import services
from dangjian.assessment.models import ChecklistItem, Evaluation, ItemScore, KpiValue, Post, PostKind

from .test_cli import SCHEME, YEAR, cli_json

URL = "/api/assessment"
EVALUATIONS = f"{URL}/evaluations"


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def fields(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["detail"]}


@pytest.fixture
def opened(world, client):
    """B1's 支部书记 opens the 2025 达标创星 evaluation of B1 through the API."""
    client.force_login(world.sec1)
    response = post(client, EVALUATIONS, {"scheme": SCHEME, "org": "B1", "period": str(YEAR)})
    assert response.status_code == 200, response.content
    world.ev_id = response.json()["id"]
    return world


# --- schemes and results ---------------------------------------------------------------------------------------

def test_schemes(world, client):
    assert client.get(f"{URL}/schemes").status_code == 401
    client.force_login(world.member1)
    body = client.get(f"{URL}/schemes").json()
    schemes = {s["code"]: s for s in body["items"]}
    assert {"dabiao-chuangxing", "shuangbai-branch", "shuangbai-member", "post-kpi", "wuhao-banzu",
            "model-post"} <= set(schemes)
    star = schemes[SCHEME]
    assert [(d["name"], d["weight"]) for d in star["dimensions"]] == [
        ("基本组织", 15), ("基本队伍", 15), ("基本活动", 25), ("基本作用", 20), ("基本制度", 10), ("基本保障", 15)]
    assert [b["name"] for b in star["levels"]] == ["五星", "四星", "三星", "二星", "一星", "不达标"]
    assert star["veto_level"] == "不达标" and star["pass_min"] == 60
    items = {i["code"]: i for d in star["dimensions"] for i in d["items"]}
    assert items["basic_activity.sanhui"]["how"] == "自动" and items["basic_activity.sanhui"]["source"]
    assert items["basic_org.integration"]["how"] == "评审" and items["basic_org.integration"]["criteria"]


@pytest.mark.parametrize("code", ["ROOT", "B1"])
def test_results_equal_cli_json(opened, client, code):
    services.item_score_set(actor=opened.sec1, evaluation=Evaluation.objects.get(pk=opened.ev_id),
                            item="basic_org.integration", points=2)
    client.force_login(opened.admin)
    response = client.get(URL, {"scheme": SCHEME, "org": code, "year": YEAR})
    assert response.status_code == 200
    assert response.json() == cli_json(code)


def test_month_scheme_results(world, client):
    services.post_create(actor=world.sec1, org=world.b1, name="党员示范岗", kind=PostKind.MODEL, holder=world.member)
    client.force_login(world.sec1)
    response = client.get(URL, {"scheme": "model-post", "org": "B1", "year": YEAR, "period": "2025-04"})
    assert response.status_code == 200
    assert response.json() == cli_json("B1", "model-post", "--period", "2025-04")
    response = client.get(URL, {"scheme": "model-post", "org": "B1", "year": YEAR})
    assert response.status_code == 422 and "请指定月份" in fields(response)["period"]


def test_results_scoped(world, client):
    params = {"scheme": SCHEME, "year": YEAR}
    assert client.get(URL, {**params, "org": "B1"}).status_code == 401
    client.force_login(world.sec1)  # 支部书记 of B1: their branch, not the group
    assert client.get(URL, {**params, "org": "B1"}).status_code == 200
    assert client.get(URL, {**params, "org": "ROOT"}).status_code == 404
    client.force_login(world.outsider)  # 支部书记 of B2
    response = client.get(URL, {**params, "org": "B1"})
    assert response.status_code == 404 and response.json() == {"detail": "组织不存在或无权查看"}
    client.force_login(world.member1)  # a plain member
    assert client.get(URL, {**params, "org": "B1"}).status_code == 404
    client.force_login(world.zz_admin)  # 组织管理员 of ZZ: B1 yes, B2 no
    assert client.get(URL, {**params, "org": "ZZ"}).status_code == 200
    assert client.get(URL, {**params, "org": "B2"}).status_code == 404


def test_results_bad_input(world, client):
    client.force_login(world.admin)
    response = client.get(URL, {"scheme": "nope", "org": "ROOT", "year": YEAR})
    assert response.status_code == 422 and "考核方案“nope”不存在" in fields(response)["scheme"]
    assert client.get(URL, {"scheme": SCHEME, "org": "ROOT", "year": 1999}).status_code == 422
    assert client.get(URL, {"scheme": SCHEME, "org": "ROOT"}).status_code == 422
    assert client.get(URL, {"scheme": SCHEME, "org": "NOPE", "year": YEAR}).status_code == 404
    response = client.get(URL, {"scheme": "model-post", "org": "ROOT", "year": YEAR, "period": "2024-12"})
    assert response.status_code == 422 and "不在2025年度内" in fields(response)["period"]


# --- the process ------------------------------------------------------------------------------------------------

def test_open_is_idempotent_and_validated(opened, client):
    again = post(client, EVALUATIONS, {"scheme": SCHEME, "org": "B1", "period": str(YEAR)})
    assert again.status_code == 200 and again.json()["id"] == opened.ev_id
    response = post(client, EVALUATIONS, {"scheme": SCHEME, "period": str(YEAR)})
    assert response.status_code == 422 and "请填写党支部编码" in fields(response)["org"]
    response = post(client, EVALUATIONS, {"scheme": SCHEME, "org": "B2", "period": str(YEAR)})
    assert response.status_code == 422 and "不在您的管理范围内" in fields(response)["org"]
    response = post(client, EVALUATIONS, {"scheme": SCHEME, "org": "B1", "period": "2025-03"})
    assert response.status_code == 422 and "period" in fields(response)
    assert Evaluation.objects.count() == 1


def test_process_through_the_api(opened, client):
    w, url = opened, f"{EVALUATIONS}/{opened.ev_id}"
    body = post(client, f"{url}/scores", {"item": "basic_org.integration", "points": 3, "evidence": "任职文件"}).json()
    assert body["status"] == "draft" and body["live"] is True
    assert {(s["item"], s["stage"], s["points"]) for s in body["item_scores"]} == {("basic_org.integration", "self", 3)}
    item = next(i for i in body["result"]["items"] if i["code"] == "basic_org.integration")
    assert item["points"] == 3 and item["reviewer"]["evidence"] == "任职文件"
    assert body["actions"]["submit"] is True and body["actions"]["review"] is False
    # points over the item's max, an automatic item: refused, nothing changes
    response = post(client, f"{url}/scores", {"item": "basic_org.integration", "points": 4})
    assert response.status_code == 422 and "0至3分之间" in fields(response)["points"]
    response = post(client, f"{url}/scores", {"item": "basic_activity.sanhui", "points": 4})
    assert response.status_code == 422 and "自动计分" in fields(response)["item"]
    assert ItemScore.objects.get().points == 3

    assert post(client, f"{url}/submit", {"note": "自评完成"}).json()["status"] == "submitted"
    assert post(client, f"{url}/review", {"note": "同意"}).status_code == 403  # not by the branch itself
    client.force_login(w.orgadmin)  # the level above
    response = post(client, f"{url}/scores", {"item": "basic_org.integration", "points": 2})
    assert response.status_code == 422 and "须填写理由" in fields(response)["note"]
    body = post(client, f"{url}/scores", {"item": "basic_org.integration", "points": 2, "note": "交叉任职未落实"}).json()
    assert next(i for i in body["result"]["items"] if i["code"] == "basic_org.integration")["points"] == 2
    assert post(client, f"{url}/review", {"note": "同意"}).json()["status"] == "reviewed"
    body = post(client, f"{url}/confirm").json()
    assert body["status"] == "confirmed" and body["live"] is False and body["fingerprint"]
    assert body["score"] == body["result"]["score"] and body["level"] == body["result"]["level"]
    assert body["actions"]["reevaluate"] is True

    body = post(client, f"{url}/reevaluate", {"note": ""})
    assert body.status_code == 422 and "请填写重评理由" in fields(body)["note"]
    new = post(client, f"{url}/reevaluate", {"note": "补充材料后重评"}).json()
    assert new["version"] == 2 and new["status"] == "draft" and new["previous_id"] == w.ev_id
    assert [(v["version"], v["status"]) for v in new["versions"]] == [(1, "superseded"), (2, "draft")]
    old = client.get(url).json()
    assert old["status"] == "superseded" and old["live"] is False and old["result"]["score"] == old["score"]


def test_return_needs_a_reason(opened, client):
    url = f"{EVALUATIONS}/{opened.ev_id}"
    post(client, f"{url}/submit")
    client.force_login(opened.orgadmin)
    response = post(client, f"{url}/return", {"note": ""})
    assert response.status_code == 422
    body = post(client, f"{url}/return", {"note": "佐证材料不全"}).json()
    assert body["status"] == "draft" and body["return_note"] == "佐证材料不全"


def test_veto_through_the_api(opened, client):
    url = f"{EVALUATIONS}/{opened.ev_id}"
    response = post(client, f"{url}/vetoes", {"veto": "safety_accident"})
    assert response.status_code == 422 and "理由" in fields(response)["reason"]
    response = post(client, f"{url}/vetoes", {"veto": "nope", "reason": "x"})
    assert response.status_code == 422 and "没有否决项" in fields(response)["veto"]
    body = post(client, f"{url}/vetoes", {"veto": "safety_accident", "reason": "发生重大安全事故"}).json()
    assert body["result"]["vetoed"] is True and body["result"]["level"] == "不达标"
    assert body["veto_marks"][0]["reason"] == "发生重大安全事故"
    body = post(client, f"{url}/vetoes", {"veto": "safety_accident", "on": False}).json()
    assert body["result"]["vetoed"] is False and body["veto_marks"] == []


def test_evaluations_scoped(opened, client):
    url = f"{EVALUATIONS}/{opened.ev_id}"
    for user in (opened.outsider, opened.member1):
        client.force_login(user)
        assert client.get(url).status_code == 404
        for action, data in (("submit", {}), ("review", {}), ("return", {"note": "x"}), ("confirm", {}),
                             ("reevaluate", {"note": "x"}), ("scores", {"item": "basic_org.integration", "points": 1}),
                             ("vetoes", {"veto": "safety_accident", "reason": "x"})):
            assert post(client, f"{url}/{action}", data).status_code == 404
        assert client.get(EVALUATIONS).json()["total"] == 0
    assert Evaluation.objects.get().status == "draft"
    client.force_login(opened.zz_admin)
    assert client.get(url).status_code == 200
    body = client.get(EVALUATIONS, {"scheme": SCHEME, "status": "草稿", "org": "ZZ"}).json()
    assert [e["id"] for e in body["items"]] == [opened.ev_id]
    assert client.get(EVALUATIONS, {"status": "已认定"}).json()["total"] == 0
    assert client.get(EVALUATIONS, {"status": "nope"}).status_code == 422
    client.logout()
    assert client.get(url).status_code == 401


def test_member_sees_own_member_evaluation(world, client):
    ev = services.evaluation_open(actor=world.sec1, scheme="shuangbai-member", subject=world.member, period="2025")
    client.force_login(world.member1)
    body = client.get(f"{EVALUATIONS}/{ev.pk}").json()
    assert body["subject"]["name"] == "李党员" and body["actions"]["submit"] is False
    assert client.get(EVALUATIONS).json()["total"] == 1


# --- checklists, posts and KPI, the wall ----------------------------------------------------------------------------

def test_checklists(world, client):
    client.force_login(world.sec1)
    url = f"{URL}/checklists"
    data = {"org": "B1", "year": YEAR, "title": "打造党建品牌", "due_on": "2025-06-30",
            "feeds": "basic_support.checklist"}
    item = post(client, url, data).json()
    assert item["org"] == "B1" and item["done"] is False
    mine = post(client, url, {**data, "title": "讲一次微党课", "member_id": world.member.pk,
                              "feeds": "checklist.checklist"}).json()
    response = post(client, url, {**data, "due_on": "2026-01-10"})
    assert response.status_code == 422 and "2025年内" in fields(response)["due_on"]
    assert client.get(url, {"year": YEAR}).json()["total"] == 2
    assert client.get(url, {"year": YEAR, "branch_only": "true"}).json()["total"] == 1
    done = post(client, f"{url}/{item['id']}/complete", {"done_on": "2025-06-20", "evidence": "品牌材料"}).json()
    assert done["done"] is True and done["done_in_time"] is True
    client.force_login(world.member1)  # a member sees and completes their own list only
    body = client.get(url, {"year": YEAR}).json()
    assert [i["id"] for i in body["items"]] == [mine["id"]]
    assert post(client, f"{url}/{item['id']}/complete", {"done_on": "2025-06-20", "evidence": "x"}).status_code == 404
    assert post(client, f"{url}/{mine['id']}/complete", {"done_on": "2025-05-04", "evidence": "讲稿"}).json()["done"]
    client.force_login(world.outsider)
    assert client.get(url, {"year": YEAR}).json()["total"] == 0
    assert post(client, url, data).status_code == 404
    assert post(client, f"{url}/{item['id']}/reopen").status_code == 404
    assert ChecklistItem.objects.filter(done_on__isnull=False).count() == 2


def test_posts_and_kpi(world, client):
    client.force_login(world.sec1)
    created = post(client, f"{URL}/posts", {"org": "B1", "name": "装卸作业岗", "kind": "岗位KPI",
                                            "holder_id": world.member.pk}).json()
    assert created["kind"] == "kpi" and created["holder"]["name"] == "李党员"
    response = post(client, f"{URL}/posts", {"org": "B1", "name": "x", "kind": "nope"})
    assert response.status_code == 422 and "kind" in fields(response)
    ind = post(client, f"{URL}/posts/{created['id']}/indicators",
               {"code": "throughput", "name": "装卸作业量", "unit": "万吨", "coefficient": "0.6",
                "from_year": 2024}).json()
    for period, target, actual in (("2024", 100, 90), ("2025", 100, 110)):
        response = post(client, f"{URL}/indicators/{ind['id']}/values",
                        {"period": period, "target": target, "actual": actual})
        assert response.status_code == 200
    response = post(client, f"{URL}/indicators/{ind['id']}/values", {"period": "2025", "target": 0})
    assert response.status_code == 422 and "大于0" in fields(response)["target"]
    kpi = client.get(f"{URL}/posts/{created['id']}/kpi", {"year": 2025}).json()
    row = kpi["rows"][0]
    assert (row["period"], row["completion"], row["last_year"], row["change"]) == ("2025", 1.1, 0.9, 0.2)
    assert client.get(f"{URL}/posts", {"org": "B1"}).json()["items"][0]["indicators"][0]["code"] == "throughput"
    result = client.get(URL, {"scheme": "post-kpi", "org": "B1", "year": 2025}).json()["results"][0]
    assert result["score"] == 110 and result["level"] == "优秀"
    client.force_login(world.outsider)
    assert client.get(f"{URL}/posts/{created['id']}/kpi", {"year": 2025}).status_code == 404
    assert post(client, f"{URL}/indicators/{ind['id']}/values", {"period": "2025", "target": 1}).status_code == 404
    assert client.get(f"{URL}/posts").json()["total"] == 0
    assert KpiValue.objects.count() == 2


def test_wall(world, client):
    post_ = Post.objects.create(org=world.b1, name="党员示范岗", kind=PostKind.MODEL, holder=world.member)
    ev = services.evaluation_open(actor=world.sec1, scheme="model-post", subject=post_, period="2025-03")
    for item, points in (("politics.attendance", 12), ("politics.politics", 18), ("skill.skill", 29),
                         ("performance.points", 10), ("performance.results", 28)):
        services.item_score_set(actor=world.sec1, evaluation=ev, item=item, points=points)
    client.force_login(world.orgadmin)
    body = client.get(f"{URL}/wall", {"org": "ROOT", "month": "2025-03"}).json()
    assert [(i["post_id"], i["score"], i["level"], i["rank"]) for i in body["items"]] == [(post_.pk, 97, "明星岗", 1)]
    assert client.get(f"{URL}/wall", {"org": "ROOT", "month": "2025-04"}).json()["items"] == []
    response = client.get(f"{URL}/wall", {"org": "ROOT", "month": "2025-3"})
    assert response.status_code == 422 and "month" in fields(response)
    client.force_login(world.outsider)
    assert client.get(f"{URL}/wall", {"org": "B1", "month": "2025-03"}).status_code == 404


def _queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_lists_do_not_grow_in_queries(world, client):
    def add(i: int) -> None:
        services.checklist_item_create(actor=world.sec1, org=world.b1, year=YEAR, title=f"事项{i}",
                                       due_on=dt.date(YEAR, 6, 30), member=world.member if i % 2 else None)
        p = services.post_create(actor=world.sec1, org=world.b1, name=f"岗位{i}", kind=PostKind.KPI,
                                 holder=world.member)
        services.kpi_indicator_create(actor=world.sec1, post=p, code=f"k{i}", name="指标", from_year=YEAR)
        services.evaluation_open(actor=world.sec1, scheme="post-kpi", subject=p, period=str(YEAR))

    add(0)
    client.force_login(world.sec1)
    urls = [(EVALUATIONS, {}), (f"{URL}/checklists", {"year": YEAR}), (f"{URL}/posts", {})]
    before = [_queries(client, u, p) for u, p in urls]
    for i in range(1, 5):
        add(i)
    assert [_queries(client, u, p) for u, p in urls] == before
    assert client.get(EVALUATIONS).json()["total"] == 5
