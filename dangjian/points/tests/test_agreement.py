"""One evaluation, many views: the ranking page, the API, the CLI's --json and the Excel export give the same
totals, category values, grades and ranks for the same data (ties, a grade boundary, a cap, a floor, a special)."""

import json
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_id
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.points import services

from .test_api import YEAR, ledger_fixture  # noqa: F401 — the shared fixture `ledger`

FULL_MARKS = {"duty_score": "15", "target_score": "15", "quality_score": "10", "excellence_score": "10"}


@pytest.fixture
def data(ledger):
    """Two more members of B1 on exactly 60 (合格's lower bound), tied; one more on 59.5 (不合格)."""
    w = ledger
    for i, (name, marks) in enumerate([("赵一", FULL_MARKS), ("钱二", FULL_MARKS),
                                       ("孙三", {**FULL_MARKS, "excellence_score": "9.5"})]):
        member = org_services.member_create(actor=None, id_number=make_id("19880808", 40 + i), name=name,
                                            category=Category.FULL, branch=w.b1)
        for rule, points in marks.items():
            services.score_set(actor=w.sec1, member=member, rule=rule, slot=f"{YEAR}-Q1", points=points)
    return w


def from_api(client, org: str) -> dict:
    data = client.get("/api/points", {"org": org, "year": YEAR}).json()
    return {m["name"]: (m["total"], m["grade"], m["rank"], m["categories"]) for m in data["members"]}


def from_cli(org: str) -> dict:
    out = StringIO()
    call_command("points", "--org", org, "--year", str(YEAR), "--json", stdout=out)
    data = json.loads(out.getvalue())
    return {m["name"]: (m["total"], m["grade"], m["rank"], m["categories"]) for m in data["members"]}


def number(value):
    return int(value) if value == int(value) else float(value)


def from_page(client, org: str) -> dict:
    response = client.get(reverse("points_ranking"), {"org": org, "year": YEAR})
    assert response.status_code == 200
    rows = [row["r"] for row in response.context["page"].object_list]
    names = {c.code: c.name for c in rows[0].categories.values()}
    text = response.content.decode()
    assert all(r.name in text for r in rows)
    return {r.name: (number(r.total), r.grade, r.rank,
                     {names[code]: number(c.value) for code, c in r.categories.items()}) for r in rows}


def from_export(client, org: str) -> dict:
    response = client.get(reverse("points_export"), {"org": org, "year": YEAR})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content))["积分表"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    col = {name: header.index(name) for name in ("排名", "姓名", "总分", "等次")}
    categories = {i: h.split("（满分")[0] for i, h in enumerate(header) if h and "（满分" in h}
    return {r[col["姓名"]]: (r[col["总分"]], r[col["等次"]] or None, r[col["排名"]],
                             {name: r[i] for i, name in categories.items()}) for r in rows[1:]}


@pytest.mark.parametrize("org", ["ROOT", "B1"])
def test_page_api_cli_and_export_agree(data, client, org):
    client.force_login(data.orgadmin)
    api = from_api(client, org)
    assert from_cli(org) == api
    assert from_page(client, org) == api
    assert from_export(client, org) == api
    totals = {name: (total, grade, rank) for name, (total, grade, rank, _) in api.items()}
    expected = {"赵一": (60, "合格", 1), "钱二": (60, "合格", 1), "孙三": (59.5, "不合格", 3),
                "李党员": (31, "不合格", 4), "张书记": (21, "不合格", 5)}
    if org == "ROOT":
        expected = {**expected, "李党员": (31, "不合格", 4), "王机关": (25, "不合格", 5), "张书记": (21, "不合格", 6)}
    assert totals == expected


def test_they_agree_after_a_change(data, client):
    """A correction (a reversal) moves every view at once."""
    services.entry_reverse(actor=data.sec1, entry=data.deduction, reason="经复核，扣分有误")
    client.force_login(data.sec1)
    api = from_api(client, "B1")
    assert api["李党员"][0] == 33 and api["李党员"][3]["遵守道德纪律"] == 10
    assert from_cli("B1") == api == from_page(client, "B1") == from_export(client, "B1")


def test_the_period_tables_agree(data, client):
    client.force_login(data.admin)
    period = f"{YEAR}-Q1"
    api = client.get("/api/points", {"org": "B1", "year": YEAR, "period": period}).json()
    out = StringIO()
    call_command("points", "--org", "B1", "--year", str(YEAR), "--json", "--period", period, stdout=out)
    assert json.loads(out.getvalue()) == api
    page = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR, "period": period})
    rows = [row["r"] for row in page.context["page"].object_list]
    assert [(r.name, number(r.total), r.rank) for r in rows] == [
        (m["name"], m["total"], m["rank"]) for m in api["members"]]
    assert all(m["grade"] is None for m in api["members"])
