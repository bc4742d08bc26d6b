"""创建清单 pages: officers add items to a branch's or a member's list; a member sees and completes their own;
outsiders get 404; bad input changes nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.assessment import services
from dangjian.assessment.models import ChecklistItem

YEAR = dt.date.today().year
URL = reverse("assessment_checklists")


@pytest.fixture
def items(world):
    w = world
    w.branch_item = services.checklist_item_create(actor=w.sec1, org=w.b1, year=YEAR, title="建立党员责任区",
                                                   due_on=dt.date(YEAR, 6, 30))
    w.own_item = services.checklist_item_create(actor=w.sec1, org=w.b1, year=YEAR, title="结对帮扶一名青工",
                                                due_on=dt.date(YEAR, 9, 30), member=w.member)
    w.b2_item = services.checklist_item_create(actor=w.outsider, org=w.b2, year=YEAR, title="机关清单",
                                               due_on=dt.date(YEAR, 5, 1))
    return w


@pytest.mark.parametrize("who, code, titles", [
    ("admin", 200, {"建立党员责任区", "结对帮扶一名青工", "机关清单"}),
    ("orgadmin", 200, {"建立党员责任区", "结对帮扶一名青工", "机关清单"}),
    ("sec1", 200, {"建立党员责任区", "结对帮扶一名青工"}),
    ("member1", 200, {"结对帮扶一名青工"}),
    ("outsider", 200, {"机关清单"}),
])
def test_each_role_sees_its_own_lists(items, client, who, code, titles):
    client.force_login(getattr(items, who))
    response = client.get(URL, {"year": YEAR})
    assert response.status_code == code
    assert {i.title for i in response.context["page"].object_list} == titles


def test_outsider_cannot_open_another_branch(items, client):
    client.force_login(items.outsider)
    assert client.get(URL, {"org": "B1", "year": YEAR}).status_code == 404
    response = client.post(reverse("assessment_checklist_complete", args=[items.branch_item.pk]),
                           {"done_on": dt.date.today().isoformat(), "evidence": "x"})
    assert response.status_code == 404
    assert ChecklistItem.objects.get(pk=items.branch_item.pk).done_on is None


def test_secretary_adds_a_member_item(items, client):
    client.force_login(items.sec1)
    response = client.post(f"{URL}?org=B1&year={YEAR}", {
        "title": "讲一次微党课", "target": "面向班组", "member": items.member.pk, "feeds": "",
        "due_on": f"{YEAR}-11-30"})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(title="讲一次微党课")
    assert item.member == items.member and item.org == items.b1 and item.year == YEAR


def test_bad_input_changes_nothing_and_says_why(items, client):
    client.force_login(items.sec1)
    before = ChecklistItem.objects.count()
    response = client.post(f"{URL}?org=B1&year={YEAR}", {"title": "", "due_on": f"{YEAR + 1}-01-05"})
    assert response.status_code == 200
    assert "请填写事项" in response.content.decode()
    response = client.post(f"{URL}?org=B1&year={YEAR}", {"title": "跨年事项", "due_on": f"{YEAR + 1}-01-05"})
    assert f"完成时限应在{YEAR}年内" in response.content.decode()
    assert ChecklistItem.objects.count() == before


def test_member_cannot_add_but_completes_own_item(items, client):
    client.force_login(items.member1)
    assert client.post(URL, {"title": "自己加的", "due_on": f"{YEAR}-06-01"}).status_code == 404
    today = dt.date.today()
    response = client.post(reverse("assessment_checklist_complete", args=[items.own_item.pk]),
                           {"done_on": today.isoformat(), "evidence": "帮扶记录一份", "next": URL})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(pk=items.own_item.pk)
    assert item.done_on == today and item.evidence == "帮扶记录一份"
    # the branch's own list is not theirs
    response = client.post(reverse("assessment_checklist_complete", args=[items.branch_item.pk]),
                           {"done_on": today.isoformat(), "evidence": "x"})
    assert response.status_code == 404


def test_completion_needs_evidence_and_can_be_reopened(items, client):
    client.force_login(items.sec1)
    url = reverse("assessment_checklist_complete", args=[items.branch_item.pk])
    response = client.post(url, {"done_on": dt.date.today().isoformat(), "evidence": ""}, follow=True)
    assert "请填写完成佐证" in response.content.decode()
    assert ChecklistItem.objects.get(pk=items.branch_item.pk).done_on is None
    client.post(url, {"done_on": dt.date.today().isoformat(), "evidence": "制度上墙照片"})
    assert ChecklistItem.objects.get(pk=items.branch_item.pk).done_on is not None
    client.post(url, {"action": "reopen"})
    assert ChecklistItem.objects.get(pk=items.branch_item.pk).done_on is None


def test_empty_state(world, client):
    client.force_login(world.sec1)
    response = client.get(URL, {"year": 2001})
    assert "2001年还没有创建清单事项" in response.content.decode()
