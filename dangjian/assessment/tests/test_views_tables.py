"""The KPI table (posts × indicators with last year's comparison, forms to add posts, indicators and values), the
五好班组 table, the model-post wall and the cards of teams and posts; who may open them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.assessment import services
from dangjian.assessment.models import KpiIndicator, KpiValue, Post, PostKind
from dangjian.orgs import services as org_services

YEAR = dt.date.today().year
MONTH = f"{YEAR}-{dt.date.today().month:02d}"


@pytest.fixture
def kpi(world):
    w = world
    w.post = services.post_create(actor=w.sec1, org=w.b1, name="装卸调度岗", kind=PostKind.KPI, holder=w.member)
    w.ind = services.kpi_indicator_create(actor=w.sec1, post=w.post, code="TEU", name="装卸量", unit="标箱",
                                          from_year=YEAR - 1, coefficient=2)
    services.kpi_value_set(actor=w.sec1, indicator=w.ind, period=str(YEAR - 1), target=100, actual=80)
    services.kpi_value_set(actor=w.sec1, indicator=w.ind, period=str(YEAR), target=100, actual=90)
    return w


@pytest.mark.parametrize("name", ["assessment_kpi", "assessment_teams", "assessment_wall"])
@pytest.mark.parametrize("who, org, code", [("admin", "", 200), ("orgadmin", "ROOT", 200), ("sec1", "B1", 200),
                                            ("outsider", "B1", 404), ("member1", "", 404)])
def test_tables_per_role(world, client, name, who, org, code):
    client.force_login(getattr(world, who))
    params = {"org": org} if org else {}
    assert client.get(reverse(name), params).status_code == code


def test_kpi_table_compares_with_last_year(kpi, client):
    client.force_login(kpi.sec1)
    response = client.get(reverse("assessment_kpi"), {"year": YEAR})
    post = response.context["page"].object_list[0]
    row = post.table[0]
    assert row["name"] == "装卸量" and row["completion"] == "90.0%" and row["last_completion"] == "80.0%"
    assert row["change"] == "+10.0个百分点"
    assert row["points"] is not None and post.result["score"] == 90  # 100 × 2 × 0.9 / 2
    html = response.content.decode()
    assert "装卸调度岗" in html and "李党员" in html


def test_kpi_forms_add_post_indicator_and_value(world, client):
    client.force_login(world.sec1)
    back = reverse("assessment_kpi") + "?org=B1"
    response = client.post(reverse("assessment_post_create"), {
        "org": world.b1.pk, "name": "理货岗", "kind": "kpi", "holder": world.member.pk, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    post = Post.objects.get(name="理货岗")
    client.post(reverse("assessment_indicator_create"), {
        "post": post.pk, "code": "ERR", "name": "差错次数", "unit": "次", "coefficient": "1",
        "higher_is_better": "0", "from_year": YEAR})
    ind = KpiIndicator.objects.get(post=post, code="ERR")
    assert not ind.higher_is_better
    client.post(reverse("assessment_value_set"), {"indicator": ind.pk, "period": f"{YEAR}-Q1", "target": "4",
                                                  "actual": "2"})
    assert KpiValue.objects.get(indicator=ind).actual == Decimal("2")


def test_kpi_bad_input_changes_nothing(kpi, client):
    client.force_login(kpi.sec1)
    response = client.post(reverse("assessment_value_set"), {
        "indicator": kpi.ind.pk, "period": "2026年", "target": "-1"}, follow=True)
    html = response.content.decode()
    assert "期间格式应为" in html and "目标值应大于0" in html
    response = client.post(reverse("assessment_indicator_create"), {
        "post": kpi.post.pk, "code": "TEU", "name": "重复", "coefficient": "1", "higher_is_better": "1",
        "from_year": YEAR}, follow=True)
    assert "已有指标编码“TEU”" in response.content.decode()
    assert KpiIndicator.objects.count() == 1 and KpiValue.objects.count() == 2


def test_outsider_cannot_write_kpi(kpi, client):
    client.force_login(kpi.outsider)
    client.post(reverse("assessment_value_set"), {"indicator": kpi.ind.pk, "period": str(YEAR), "target": "5"})
    client.post(reverse("assessment_post_create"), {"org": kpi.b1.pk, "name": "外人岗", "kind": "kpi"})
    assert KpiValue.objects.get(indicator=kpi.ind, period=str(YEAR)).target == 100
    assert not Post.objects.filter(name="外人岗").exists()


def test_post_card_scope(kpi, client):
    url = reverse("assessment_post_card", args=[kpi.post.pk])
    for who, code in (("sec1", 200), ("member1", 200), ("outsider", 404), ("zz_admin", 200)):
        client.force_login(getattr(kpi, who))
        assert client.get(url, {"year": YEAR}).status_code == code, who
    client.force_login(kpi.member1)
    assert not client.get(url, {"year": YEAR}).context["can"]["any"]


def test_teams_table_and_team_card(world, client):
    org_services.team_create(actor=None, branch=world.b1, code="T1", name="装卸一班")
    client.force_login(world.sec1)
    response = client.get(reverse("assessment_teams"), {"year": YEAR})
    rows = response.context["page"].object_list
    assert [r["name"] for r in rows] == ["装卸一班"] and rows[0]["red"] is False
    card = client.get(rows[0]["url"])
    assert card.status_code == 200 and card.context["card"].scheme["code"] == "wuhao-banzu"
    client.force_login(world.outsider)
    assert client.get(reverse("assessment_team_card", args=["T1"])).status_code == 404


def test_teams_empty_state(world, client):
    client.force_login(world.outsider)
    assert "该范围内还没有班组" in client.get(reverse("assessment_teams")).content.decode()


def test_wall_shows_confirmed_best_post_of_the_month(world, client):
    post = services.post_create(actor=world.sec1, org=world.b1, name="党员示范岗", kind=PostKind.MODEL,
                                holder=world.sec_member)
    e = services.evaluation_open(actor=world.sec1, scheme="model-post", subject=post, period=MONTH)
    for item, points in (("politics.attendance", 12), ("politics.politics", 18), ("skill.skill", 30),
                         ("performance.points", 10), ("performance.results", 30)):
        services.item_score_set(actor=world.sec1, evaluation=e, item=item, points=points, stage="self")
    client.force_login(world.sec1)
    response = client.get(reverse("assessment_wall"), {"month": MONTH})
    stars = response.context["stars"]
    assert [s["name"] for s in stars] == ["党员示范岗（张书记）"] and stars[0]["rank"] == 1
    assert response.context["page"].object_list[0].result["score"] == 100
    assert client.get(reverse("assessment_wall"), {"month": "2001-01"}).context["stars"] == []
