"""The scoring grid: members × the manual rules of a quarter; each cell saves on its own (htmx), errors stay in
the cell and change nothing; a changed score reverses the old entry."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.points.models import PointEntry

from .test_views import YEAR, points_fixture  # noqa: F401

SLOT = f"{YEAR}-Q2"


def cell(client, member, value, rule="duty_score", slot=SLOT, org="B1"):
    return client.post(reverse("points_grid_cell", args=[org]),
                       {"member": member.pk, "rule": rule, "slot": slot, "value": value}, HTTP_HX_REQUEST="true")


def live(member, rule="duty_score", slot=SLOT):
    return list(PointEntry.objects.filter(member=member, rule=rule, slot=slot, reverses__isnull=True,
                                          reversed_by__isnull=True).values_list("points", flat=True))


@pytest.mark.parametrize("who, org, code", [
    ("sec1", "B1", 200), ("orgadmin", "B1", 200), ("zz_admin", "B1", 200), ("admin", "B1", 200),
    ("outsider", "B1", 404), ("member1", "B1", 404), ("sec1", "B2", 404), ("zz_admin", "B2", 404),
])
def test_grid_scoping(points, client, who, org, code):
    client.force_login(getattr(points, who))
    assert client.get(reverse("points_grid", args=[org]), {"slot": SLOT}).status_code == code


def test_grid_shows_members_and_quarter_rules(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_grid", args=["B1"]), {"slot": f"{YEAR}-Q1"})
    assert r.status_code == 200
    assert [c["code"] for c in r.context["columns"]] == ["duty_score", "target_score", "quality_score",
                                                         "excellence_score"]
    names = [row["member"].name for row in r.context["rows"]]
    assert set(names) == {"张书记", "李党员"}
    # 李党员's Q1 duty score (12) is filled in
    row = next(row for row in r.context["rows"] if row["member"].name == "李党员")
    assert row["cells"][0]["value"] == "12"
    text = r.content.decode()
    assert "评分表" in text and 'hx-post="/points/grid/B1/cell/"' in text


def test_grid_group_code_shows_its_branch(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_grid", args=["G1"]), {"slot": SLOT})
    assert r.context["branch"].code == "B1"


def test_grid_of_a_committee_offers_its_branches(points, client):
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_grid", args=["ROOT"]))
    assert "请选择一个党支部" in r.content.decode()


def test_grid_bad_slot_falls_back(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_grid", args=["B1"]), {"slot": "2026-Q9"})
    assert r.status_code == 200 and "评分期间“2026-Q9”无效" in r.content.decode()


def test_cell_saves_and_changes_by_reversal(points, client):
    client.force_login(points.sec1)
    r = cell(client, points.member, "13")
    assert r.status_code == 200
    text = r.content.decode()
    assert "已保存" in text and "cell-saved" in text and 'value="13"' in text
    assert live(points.member) == [Decimal("13")]
    cell(client, points.member, "11.5")
    assert live(points.member) == [Decimal("11.5")]
    # the old score is kept and reversed, never edited
    assert PointEntry.objects.filter(member=points.member, rule="duty_score", slot=SLOT).count() == 3
    page = client.get(reverse("points_member", args=[points.member.pk]))
    assert page.context["result"].categories["duty"].value == Decimal("11.8")  # mean of 12 (Q1) and 11.5 (Q2)


def test_cell_cleared(points, client):
    client.force_login(points.sec1)
    cell(client, points.member, "9")
    r = cell(client, points.member, "")
    assert r.status_code == 200 and "已清除" in r.content.decode()
    assert live(points.member) == []


@pytest.mark.parametrize("value, message", [("16", ""), ("-1", ""), ("abc", "“abc”不是数字"), ("1.25", "最多一位小数")])
def test_cell_error_changes_nothing(points, client, value, message):
    client.force_login(points.sec1)
    cell(client, points.member, "10")
    before = PointEntry.objects.count()
    r = cell(client, points.member, value)
    assert r.status_code == 200
    text = r.content.decode()
    assert "cell-error" in text and f'value="{value}"' in text and 'aria-invalid="true"' in text
    assert message in text
    assert PointEntry.objects.count() == before
    assert live(points.member) == [Decimal("10")]


@pytest.mark.parametrize("who, code", [("outsider", 404), ("member1", 404), ("zz_admin", 200)])
def test_cell_scoping(points, client, who, code):
    client.force_login(getattr(points, who))
    before = PointEntry.objects.count()
    r = cell(client, points.member, "8")
    assert r.status_code == code
    assert PointEntry.objects.count() == before + (1 if code == 200 else 0)


def test_cell_refuses_members_of_another_branch_and_unknown_rules(points, client):
    client.force_login(points.orgadmin)
    assert cell(client, points.b2_member, "8").status_code == 404
    assert cell(client, points.member, "8", rule="discipline_deduct").status_code == 404
    assert cell(client, points.member, "8", slot="2026-13").status_code == 404
    assert cell(client, points.member, "8", rule="duty_score", slot=f"{YEAR}-05").status_code == 404


def test_grid_home_redirects_a_secretary(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_grid_home"))
    assert r.status_code == 302 and r["Location"] == reverse("points_grid", args=["B1"])
    client.force_login(points.member1)
    assert client.get(reverse("points_grid_home")).status_code == 404
