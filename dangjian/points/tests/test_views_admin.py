"""Special assessments ("1+N") and pack versions: pages for officers, changes only by 组织管理员."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.points.models import PointEntry, PointPackVersion, SpecialAssessment
from dangjian.points.pack import DEFAULT_PACK
from dangjian.standards.loader import PACK_DIR

from .test_views import YEAR, add_entry, points_fixture  # noqa: F401

RULES = """- code: safety_task
  name: 安全生产任务完成评分
  kind: manual
  range: [0, 60]
- code: safety_suggestion
  name: 安全隐患排查建议
  kind: declared
  range: [1, 10]
"""


def special_data(**changes):
    data = {"org": "ROOT", "name": f"{YEAR}年“安全生产月”劳动竞赛", "starts_on": f"{YEAR}-06-01",
            "ends_on": f"{YEAR}-06-30", "weight": "0.10", "max_points": "100", "rules": RULES, "note": "",
            "active": "on"}
    return data | changes


@pytest.fixture
def special(points):
    return SpecialAssessment.objects.create(
        org=points.root, name="安全生产月", starts_on=dt.date(YEAR, 6, 1), ends_on=dt.date(YEAR, 6, 30),
        weight=Decimal("0.10"), max_points=Decimal("100"),
        rules=[{"code": "safety_task", "name": "安全生产任务完成评分", "kind": "manual", "range": [0, 60]}])


def test_create_special(points, client):
    client.force_login(points.orgadmin)
    assert client.get(reverse("points_special_create")).status_code == 200
    r = client.post(reverse("points_special_create"), special_data())
    assert r.status_code == 302, r.content.decode()
    s = SpecialAssessment.objects.get()
    assert s.org == points.root and s.weight == Decimal("0.10")
    assert [rule["code"] for rule in s.rules] == ["safety_task", "safety_suggestion"]


@pytest.mark.parametrize("changes, message", [
    ({"rules": "- code: x\n  kind: nonsense\n  range: [0, 1]\n  name: 错"}, "rules[0]"),
    ({"rules": "not: a list"}, "规则应为列表"),
    ({"ends_on": f"{YEAR}-05-01"}, "结束日期不能早于开始日期"),
    ({"weight": "-1"}, "权重不能为负数"),
    ({"org": "NOPE"}, "组织不存在或不在您的管理范围内"),
])
def test_create_special_bad_input_changes_nothing(points, client, changes, message):
    client.force_login(points.orgadmin)
    r = client.post(reverse("points_special_create"), special_data(**changes))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not SpecialAssessment.objects.exists()


@pytest.mark.parametrize("who, code", [("sec1", 403), ("member1", 404), ("outsider", 403)])
def test_only_org_admins_create_specials(points, client, who, code):
    client.force_login(getattr(points, who))
    assert client.post(reverse("points_special_create"), special_data(org="B1")).status_code == code
    assert not SpecialAssessment.objects.exists()


def test_zz_admin_cannot_set_a_special_above_their_subtree(points, client):
    client.force_login(points.zz_admin)
    r = client.post(reverse("points_special_create"), special_data(org="ROOT"))
    assert r.status_code == 200 and "组织不存在或不在您的管理范围内" in r.content.decode()
    assert not SpecialAssessment.objects.exists()


def test_special_page_ranks_its_members(special, points, client):
    add_entry(points, points.member, "safety_task", "special", 50, dt.date(YEAR, 6, 10), assessment=special)
    add_entry(points, points.b2_member, "safety_task", "special", 30, dt.date(YEAR, 6, 10), assessment=special)
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_special_detail", args=[special.pk]))
    assert r.status_code == 200
    rows = r.context["page"].object_list
    assert [row["r"].name for row in rows[:2]] == ["李党员", "王机关"]
    assert rows[0]["result"] == Decimal("50") and rows[0]["contribution"] == Decimal("5")
    assert rows[0]["place"] == 1 and rows[2]["place"] == 3
    text = r.content.decode()
    assert "安全生产任务完成评分" in text and "按权重 0.1 计入全年总分" in text
    # the special is shown beside the base table and added into the total
    ranking = client.get(reverse("points_ranking"), {"org": "ROOT", "year": YEAR})
    li = next(row["r"] for row in ranking.context["page"].object_list if row["r"].name == "李党员")
    assert li.total == Decimal("28")  # 23 + 50 × 0.10


@pytest.mark.parametrize("who, code", [("orgadmin", 200), ("sec1", 200), ("admin", 200), ("member1", 404),
                                       ("outsider", 200)])
def test_special_pages_scoping(special, points, client, who, code):
    client.force_login(getattr(points, who))
    assert client.get(reverse("points_specials")).status_code == code
    assert client.get(reverse("points_special_detail", args=[special.pk])).status_code == code


def test_special_invisible_outside_its_tree(points, client):
    s = SpecialAssessment.objects.create(org=points.b1, name="B1专项", starts_on=dt.date(YEAR, 1, 1),
                                         ends_on=dt.date(YEAR, 2, 1), weight=0, max_points=10, rules=[])
    client.force_login(points.outsider)
    assert client.get(reverse("points_special_detail", args=[s.pk])).status_code == 404
    assert "B1专项" not in client.get(reverse("points_specials")).content.decode()


def test_edit_special(special, points, client):
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_special_edit", args=[special.pk]))
    assert r.status_code == 200 and "safety_task" in r.content.decode()
    r = client.post(reverse("points_special_edit", args=[special.pk]), special_data(name="改名后的专项", weight="0"))
    assert r.status_code == 302, r.content.decode()
    special.refresh_from_db()
    assert special.name == "改名后的专项" and special.weight == 0 and special.org == points.root


def test_sec_cannot_edit_special(special, points, client):
    client.force_login(points.sec1)
    assert client.post(reverse("points_special_edit", args=[special.pk]), special_data(name="x")).status_code == 403
    special.refresh_from_db()
    assert special.name == "安全生产月"


def test_empty_specials(points, client):
    client.force_login(points.orgadmin)
    assert "还没有专项考核" in client.get(reverse("points_specials")).content.decode()


# --- packs ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code", [("orgadmin", 200), ("sec1", 200), ("member1", 200), ("outsider", 200)])
def test_packs_page(points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_packs"))
    assert r.status_code == code
    text = r.content.decode()
    assert "党员积分制（默认）" in text and "参加组织活动" in text and "种子文档000" in text and "≥ 90" in text


def test_packs_of_another_org_is_404_outside_scope(points, client):
    client.force_login(points.outsider)
    assert client.get(reverse("points_packs"), {"org": "B1"}).status_code == 404
    client.force_login(points.member1)
    assert client.get(reverse("points_packs"), {"org": "B1"}).status_code == 404


def default_text() -> str:
    return (PACK_DIR / DEFAULT_PACK).read_text(encoding="utf-8")


def test_create_pack_version(points, client):
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_pack_create"), {"org": "ZZ"})
    assert r.status_code == 200 and "attend_present" in r.content.decode()
    text = default_text().replace('name: 党员积分制（默认）', 'name: 港务积分制').replace("{name: 优秀, min: 90}",
                                                                                  "{name: 优秀, min: 85}")
    text = text.replace("{name: 合格, min: 60, below: 90}", "{name: 合格, min: 60, below: 85}")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    r = client.post(f"{reverse('points_pack_create')}?org=ZZ", {
        "effective_from": tomorrow.isoformat(), "note": "优秀线调为85", "source_text": text})
    assert r.status_code == 302, r.content.decode()
    v = PointPackVersion.objects.get()
    assert v.org == points.zz and v.effective_from == tomorrow
    page = client.get(reverse("points_packs"), {"org": "B1"}).content.decode()
    assert "待生效" in page and "优秀线调为85" in page


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("category: activity\n    name: 出席组织生活", "category: nowhere\n    name: 出席组织生活"),
     "nowhere"),
    (lambda t: t.replace("{name: 合格, min: 60, below: 90}", "{name: 合格, min: 50, below: 95}"), "grades"),
    (lambda t: "::: not yaml", ""),
])
def test_bad_pack_version_names_the_key_and_changes_nothing(points, client, edit, message):
    client.force_login(points.orgadmin)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    r = client.post(f"{reverse('points_pack_create')}?org=ROOT", {
        "effective_from": tomorrow.isoformat(), "source_text": edit(default_text())})
    assert r.status_code == 200
    assert message in r.content.decode() and "has-error" in r.content.decode()
    assert not PointPackVersion.objects.exists()


def test_pack_version_in_the_past_is_refused(points, client):
    client.force_login(points.orgadmin)
    r = client.post(f"{reverse('points_pack_create')}?org=ROOT", {
        "effective_from": "2020-01-01", "source_text": default_text()})
    assert r.status_code == 200
    assert not PointPackVersion.objects.exists()


@pytest.mark.parametrize("who, org, code", [("sec1", "B1", 403), ("member1", "B1", 404), ("outsider", "B1", 404),
                                            ("zz_admin", "ROOT", 404)])
def test_pack_version_refused_to_others(points, client, who, org, code):
    client.force_login(getattr(points, who))
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    r = client.post(f"{reverse('points_pack_create')}?org={org}", {
        "effective_from": tomorrow.isoformat(), "source_text": default_text()})
    assert r.status_code == code
    assert not PointPackVersion.objects.exists()


def test_officer_awards_a_special_item_from_the_member_page(special, points, client):
    client.force_login(points.sec1)
    page = client.get(reverse("points_member", args=[points.member.pk])).content.decode()
    value = f"special-{special.pk}-safety_task"
    assert value in page and "专项“安全生产月”" in page
    r = client.post(reverse("points_award", args=[points.member.pk]), {
        "rule": value, "points": "40", "occurred_on": f"{YEAR}-06-15", "reason": "安全生产月任务完成"})
    assert r.status_code == 302
    entry = PointEntry.objects.get(assessment=special)
    assert entry.points == Decimal("40") and entry.rule == "safety_task"
    # outside the special's window the service refuses and nothing is written
    r = client.post(reverse("points_award", args=[points.member.pk]), {
        "rule": value, "points": "10", "occurred_on": f"{YEAR}-07-15", "reason": "窗口外"}, follow=True)
    assert "未能保存" in r.content.decode()
    assert PointEntry.objects.filter(assessment=special).count() == 1
