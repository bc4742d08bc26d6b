"""The ranking page (branch and group, filters, pagination, grade chart) and who may see it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.points.models import EntrySource

from .test_views import YEAR, add_entry, count_queries, more_members, points_fixture  # noqa: F401


@pytest.mark.parametrize("who, org, code", [
    ("admin", "ROOT", 200), ("orgadmin", "ROOT", 200), ("orgadmin", "", 200), ("zz_admin", "ZZ", 200),
    ("zz_admin", "B2", 404), ("sec1", "", 200), ("sec1", "B1", 200), ("sec1", "B2", 404), ("sec1", "ROOT", 404),
    ("outsider", "B1", 404), ("outsider", "B2", 200), ("member1", "", 404), ("member1", "B1", 404),
])
def test_ranking_scoping(points, client, who, org, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_ranking"), {"org": org} if org else {})
    assert r.status_code == code


def test_branch_ranking_orders_by_total(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR})
    rows = [row["r"] for row in r.context["page"].object_list]
    assert [x.name for x in rows] == ["李党员", "张书记"]
    assert [x.rank for x in rows] == [1, 2]
    assert rows[0].total == Decimal("23")
    text = r.content.decode()
    assert "积分排名" in text and 'id="grade-chart"' in text and "导出积分表" in text
    assert "王机关" not in text  # B2 is not in B1's ranking


def test_group_ranking_includes_every_branch(points, client):
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_ranking"), {"org": "ROOT", "year": YEAR})
    names = [row["r"].name for row in r.context["page"].object_list]
    assert set(names) == {"李党员", "张书记", "王机关"}
    assert sum(r.context["table"].grade_counts.values()) == 3
    assert [o.code for o in r.context["below"]] == ["ZZ", "B2"]


def test_category_filter_ranks_by_that_category(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR, "category": "activity"})
    rows = [row["r"] for row in r.context["page"].object_list]
    assert [x.name for x in rows] == ["张书记", "李党员"]  # 5 attendances against 3
    assert r.context["category"] == "activity"


def test_period_filter_restricts_entries(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR, "period": f"{YEAR}-01"})
    rows = {row["r"].name: row["r"] for row in r.context["page"].object_list}
    assert rows["李党员"].categories["activity"].value == Decimal("1")
    assert rows["李党员"].grade is None  # grades are for the whole year only
    assert "等次只按全年评定" in r.content.decode()


@pytest.mark.parametrize("params, warning", [
    ({"period": "2019-01"}, "期间“2019-01”无效"), ({"period": "bad"}, "期间“bad”无效"),
    ({"category": "nope"}, "积分类别“nope”不存在"), ({"year": "20x"}, "年度“20x”无效"),
])
def test_bad_filters_warn_and_fall_back(points, client, params, warning):
    client.force_login(points.sec1)
    r = client.get(reverse("points_ranking"), {"org": "B1", **params})
    assert r.status_code == 200
    assert warning in r.content.decode()


def test_ranking_empty_state(world, client):
    client.force_login(world.outsider)
    world.b2_member.category = "activist"
    world.b2_member.save(update_fields=["category"])
    r = client.get(reverse("points_ranking"), {"org": "B2"})
    assert "该范围内还没有党员" in r.content.decode()


def test_ranking_is_paginated(points, client, settings):
    settings.PAGE_SIZE = 5
    more_members(points, 8)
    client.force_login(points.sec1)
    r = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR, "page": 2})
    assert r.context["page"].number == 2 and len(r.context["page"].object_list) == 5
    assert r.context["page"].paginator.count == 10


def test_ranking_query_count_is_constant(points, client):
    client.force_login(points.orgadmin)
    url = f"{reverse('points_ranking')}?org=ROOT&year={YEAR}"
    before = count_queries(client, url)
    more_members(points, 15)
    for i in range(10):
        add_entry(points, points.b2_member, "attend_present", "activity", 1, dt.date(YEAR, 4, 1 + i),
                  source=EntrySource.AUTO)
    assert count_queries(client, url) == before


def test_ranking_links_to_member_pages(points, client):
    client.force_login(points.sec1)
    text = client.get(reverse("points_ranking"), {"org": "B1"}).content.decode()
    assert reverse("points_member", args=[points.member.pk]) in text
