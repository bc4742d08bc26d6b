"""The rectification API (/api/rectifications): scoping, filters, updates, submit and the review by the level
above, Chinese validation messages, and a list whose query count does not grow with its length."""

import datetime as dt
import json

from django.utils import timezone

from dangjian.compliance import services
from dangjian.compliance.models import TaskStatus

URL = "/api/rectifications"


def manual(w, org=None, **kw):
    return services.task_create_manual(actor=w.admin, org=org or w.b1, title="台账不全", description="记录缺页", **kw)


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_list_is_scoped_and_filtered(world, client):
    today = timezone.localdate()
    late = manual(world, deadline=today - dt.timedelta(days=3))
    manual(world, deadline=today + dt.timedelta(days=3))
    b2_task = manual(world, org=world.b2)
    client.force_login(world.sec1)
    body = client.get(URL).json()
    assert body["total"] == 2 and b2_task.pk not in {t["id"] for t in body["items"]}
    assert [t["id"] for t in client.get(URL, {"overdue": "true"}).json()["items"]] == [late.pk]
    assert client.get(URL, {"status": "待整改"}).json()["total"] == 2
    assert client.get(URL, {"status": "已销号"}).json()["total"] == 0
    client.force_login(world.orgadmin)
    assert client.get(URL).json()["total"] == 3
    assert client.get(URL, {"org": "ZZ"}).json()["total"] == 2
    assert client.get(URL, {"org": "B2"}).json()["items"][0]["id"] == b2_task.pk
    page = client.get(URL, {"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["items"]) == 1


def test_outsider_gets_404(world, client):
    task = manual(world)
    client.force_login(world.outsider)  # 支部书记 of B2
    assert client.get(URL).json()["total"] == 0
    response = client.get(f"{URL}/{task.pk}")
    assert response.status_code == 404 and response.json() == {"detail": "整改任务不存在或无权查看"}
    assert patch(client, f"{URL}/{task.pk}", {"measures": "补齐"}).status_code == 404
    assert post(client, f"{URL}/{task.pk}/submit").status_code == 404
    assert post(client, f"{URL}/{task.pk}/review", {"approve": True}).status_code == 404
    client.force_login(world.sec1)
    assert client.get(URL, {"org": "B2"}).status_code == 404


def test_update_submit_and_review_by_the_level_above(world, client):
    task = manual(world)
    client.force_login(world.sec1)
    response = patch(client, f"{URL}/{task.pk}", {"measures": "补齐会议记录", "evidence": "记录本第3页",
                                                  "deadline": "2030-01-31", "owner_id": world.sec_member.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == TaskStatus.IN_PROGRESS and body["deadline"] == "2030-01-31"
    assert body["owner"] == {"id": world.sec_member.pk, "name": world.sec_member.name}
    assert post(client, f"{URL}/{task.pk}/submit").json()["status_label"] == "待审核"
    response = post(client, f"{URL}/{task.pk}/review", {"approve": True})
    assert response.status_code == 403 and response.json() == {"detail": "销号审核应由上级组织进行"}
    client.force_login(world.orgadmin)
    response = post(client, f"{URL}/{task.pk}/review", {"approve": True, "note": "同意"})
    assert response.status_code == 200 and response.json()["status"] == TaskStatus.CLOSED
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and task.reviewer == world.orgadmin


def test_plain_member_may_see_own_task_but_not_edit(world, client):
    task = manual(world, owner=world.member)
    client.force_login(world.member1)
    assert client.get(f"{URL}/{task.pk}").status_code == 200
    response = patch(client, f"{URL}/{task.pk}", {"measures": "补齐"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.measures == ""


def test_validation_errors_are_chinese_and_change_nothing(world, client):
    task = manual(world)
    client.force_login(world.sec1)
    response = patch(client, f"{URL}/{task.pk}", {"deadline": "明天"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "deadline" and error["message"].isascii() is False
    response = patch(client, f"{URL}/{task.pk}", {"owner_id": world.b2_member.pk})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "owner_id", "message": "责任人不存在或不在您的管理范围内"}]
    response = post(client, f"{URL}/{task.pk}/submit")  # no measures yet
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "measures", "message": "请先填写整改措施再提交销号"}]
    response = client.get(URL, {"status": "随便"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "status"
    assert "状态“随便”无效" in response.json()["detail"][0]["message"]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.deadline is None and task.owner is None
    client.force_login(world.orgadmin)
    patch(client, f"{URL}/{task.pk}", {"measures": "补齐"})
    post(client, f"{URL}/{task.pk}/submit")
    response = post(client, f"{URL}/{task.pk}/review", {"approve": False})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "review_note", "message": "退回时请填写审核意见"}]


def test_list_query_count_is_constant(world, client, django_assert_max_num_queries):
    client.force_login(world.orgadmin)
    for _ in range(2):
        manual(world, owner=world.member, deadline=timezone.localdate())
    with django_assert_max_num_queries(12) as few:
        assert client.get(URL).json()["total"] == 2
    for i in range(10):
        manual(world, org=world.b2 if i % 2 else world.b1, owner=world.member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["total"] == 12
