"""/api/templates: the standard templates and the version in force for an organization on a date."""

import datetime as dt

import pytest

from dangjian.meetings.models import ActivityKind, TemplateVersion

from . import test_documents as shared

# A fixture shared with test_documents.py.
templates = shared.templates


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


@pytest.mark.parametrize("who", ["admin", "orgadmin", "sec1", "member1", "outsider"])
def test_standard_templates_for_everyone(world, templates, client, who):
    response = get(client, getattr(world, who), "/api/templates")
    assert response.status_code == 200
    body = response.json()
    assert body["org_code"] is None
    assert [t["kind"] for t in body["items"]] == list(ActivityKind.labels)


def test_template_fields(world, templates, client):
    t = get(client, world.sec1, "/api/templates/支部委员会").json()
    assert t["kind"] == "支部委员会" and t["kind_value"] == "committee_meeting"
    assert t["ref"] == "标准模板 2018.1" and t["version_id"] is None
    assert t["frequency"]["text"] == "每月1次" and t["frequency"]["period"] == "month"
    assert t["expected"] == {"key": "committee", "label": "支部委员会委员"}
    assert t["holder"] == [{"key": "branch", "label": "党支部"}]
    assert t["quorum"] == {"rule": "more_than_half", "of": "expected", "text": "应到人数超过半数到会"}
    assert t["five_ding"][0]["label"] == "定时间" and t["five_ding"][0]["hint"]
    assert t["steps"][0]["title"] == "确定议题"
    assert [r["label"] for r in t["roles"]] == ["主持人", "记录人"]
    assert "支部委员会" in t["guide"]
    assert get(client, world.sec1, "/api/templates/committee_meeting").json() == t


def test_unknown_kind_is_404(world, templates, client):
    response = get(client, world.sec1, "/api/templates/党委会")
    assert response.status_code == 404 and response.json()["detail"] == "没有此类工作模板"


def test_version_in_force_by_org_and_date(world, templates, client):
    content = dict(templates["committee_meeting"], version="ZZ-1", expected="party_members")
    version = TemplateVersion.objects.create(kind=ActivityKind.COMMITTEE_MEETING, org=world.zz,
                                             effective_from=dt.date(2025, 4, 1), content=content)
    before = get(client, world.sec1, "/api/templates", {"org": "B1", "date": "2025-03-31"}).json()
    committee = next(t for t in before["items"] if t["kind_value"] == "committee_meeting")
    assert committee["ref"] == "标准模板 2018.1"
    after = get(client, world.sec1, "/api/templates/支部委员会", {"org": "B1", "date": "2025-04-01"}).json()
    assert after["version_id"] == version.pk and after["version"] == "ZZ-1"
    assert after["ref"] == "港务党总支版本（2025-04-01起）"
    assert after["expected"]["key"] == "party_members"
    # B2 is not under ZZ: the standard one.
    other = get(client, world.admin, "/api/templates/支部委员会", {"org": "B2", "date": "2025-05-01"}).json()
    assert other["version_id"] is None


@pytest.mark.parametrize("who, org, status", [
    ("member1", "B1", 200),  # a member's own branch
    ("member1", "B2", 404),
    ("outsider", "B1", 404),
    ("sec1", "G1", 200),
    ("sec1", "NOPE", 404),
])
def test_org_is_scoped(world, templates, client, who, org, status):
    assert get(client, getattr(world, who), "/api/templates", {"org": org}).status_code == status


def test_bad_date_is_422_in_chinese(world, templates, client):
    response = get(client, world.sec1, "/api/templates", {"date": "2025-13-01"})
    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "date", "message": "日期格式应为YYYY-MM-DD"}]}


def test_login_required(world, templates, client):
    assert client.get("/api/templates").status_code == 401
