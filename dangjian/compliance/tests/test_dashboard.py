"""The compliance pages: the dashboard, a branch's own page and the Excel problem list agree with the CLI."""

import datetime as dt
import json
import re
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_id
from dangjian.compliance.engine import lookback_months
from dangjian.compliance.export import HEADERS
from dangjian.compliance.facts import load_facts
from dangjian.compliance.pack import load_pack
from dangjian.meetings.models import ActivityKind
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, Organization, OrgKind

from .test_facts_cli import _branches, held

Q = {"year": "2024", "as_of": "2025-01-01"}


@pytest.fixture
def records(world):
    w = world
    # B1: an assembly with exactly half present (invalid), a valid one in Q2, a theme day in January only.
    w.half = held(w, w.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 3, 31), "DY-1", [w.sec_member])
    w.whole = held(w, w.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 6, 30), "DY-2", [w.sec_member, w.member])
    held(w, w.b1, ActivityKind.THEME_DAY, dt.date(2024, 1, 20), "ZT-1", [w.sec_member, w.member])
    held(w, w.g1, ActivityKind.GROUP_MEETING, dt.date(2024, 2, 5), "XZ-1", [w.member])
    return w


def cli(org="ROOT", as_of="2025-01-01"):
    out = StringIO()
    call_command("check_compliance", "--org", org, "--year", "2024", "--as-of", as_of, "--json", stdout=out)
    return json.loads(out.getvalue())


def key(f):
    return (f["rule"], f["org"], f["period"], f["activity"], f["member"], f["severity"], f["message"])


def page_findings(response):
    return [key(f.as_dict()) for f in response.context["page"].paginator.object_list]


@pytest.mark.parametrize("who, org, code", [
    ("admin", "ROOT", 200), ("orgadmin", "ROOT", 200), ("zz_admin", "", 200), ("zz_admin", "B2", 404),
    ("sec1", "", 200), ("sec1", "B1", 200), ("sec1", "B2", 404), ("member1", "", 404), ("member1", "B1", 404),
    ("outsider", "B1", 404), ("outsider", "B2", 200),
])
def test_dashboard_per_role(world, client, who, org, code):
    client.force_login(getattr(world, who))
    params = {**Q, "org": org} if org else Q
    assert client.get(reverse("compliance_dashboard"), params).status_code == code
    assert client.get(reverse("compliance_export"), params).status_code == code


@pytest.mark.parametrize("who, code", [("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
                                       ("member1", 404), ("outsider", 404)])
def test_branch_page_per_role(world, client, who, code):
    client.force_login(getattr(world, who))
    assert client.get(reverse("compliance_branch", args=["B1"]), Q).status_code == code


def test_default_root_is_the_first_visible(world, client):
    client.force_login(world.sec1)
    response = client.get(reverse("compliance_dashboard"), Q)
    assert response.context["root"].code == "B1"
    assert response.context["chart"]["codes"] == ["B1"]


def test_dashboard_shows_the_cli_findings(records, client):
    client.force_login(records.admin)
    response = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT"})
    expected = cli()
    assert page_findings(response) == [key(f) for f in expected["findings"]]
    assert response.context["total"] == len(expected["findings"]) > 0
    html = response.content.decode()
    assert "ZB-DYDH-QUORUM" in html and "未超过半数" in html
    # Scripts and styles come from our own static files (a bare "cdn" check failed on a random CSRF token).
    assert "echarts.min.js" in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    # The heat map's cells are the CLI's colours of the branch and its 党小组s, grey when not judged.
    chart = response.context["chart"]
    colours = {(s["org"], s["period"]): s["colour"] for s in expected["status"]}
    cell = {(chart["codes"][y], chart["periods"][x]): v for x, y, v in chart["cells"]}
    assert cell[("B1", "2024-03")] == 3 and colours[("B1", "2024-03")] == "red"
    assert cell[("B2", "2024-Q1")] == 3
    # Counts by rule match the findings.
    counts = {r["code"]: r["count"] for r in response.context["rule_counts"]}
    assert counts["ZB-DYDH-QUORUM"] == 1
    assert sum(counts.values()) == len(expected["findings"])


def test_drill_down_from_a_cell(records, client):
    client.force_login(records.admin)
    response = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT", "branch": "B1", "period": "2024-03"})
    expected = [key(f) for f in cli()["findings"] if f["period"] == "2024-03" and f["org"] in ("B1", "G1")]
    assert page_findings(response) == expected and expected
    html = response.content.decode()
    assert reverse("activity_detail", args=[records.half.pk]) in html  # the quorum finding's activity
    assert reverse("compliance_branch", args=["B1"]) in html
    assert all(f[1] in ("B1", "G1") for f in page_findings(response))


def test_filter_by_rule(records, client):
    client.force_login(records.admin)
    response = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT", "rule": "ZB-DYDH-QUARTERLY"})
    assert page_findings(response) == [key(f) for f in cli()["findings"] if f["rule"] == "ZB-DYDH-QUARTERLY"]


def test_export_rows_equal_the_findings(records, client):
    client.force_login(records.orgadmin)
    response = client.get(reverse("compliance_export"), {**Q, "org": "ROOT"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert ws.freeze_panes == "A2"
    got = [(r[0], r[2], r[4] or None, r[8]) for r in rows[1:]]
    assert got == [(f["rule"], f["org"], f["period"], f["message"]) for f in cli()["findings"]]
    quorum = [r for r in rows[1:] if r[0] == "ZB-DYDH-QUORUM"]
    assert [(r[5], r[7]) for r in quorum] == [("DY-1", "问题")]


def test_export_same_filters(records, client):
    client.force_login(records.admin)
    response = client.get(reverse("compliance_export"), {**Q, "org": "ROOT", "branch": "B2"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
    assert {r[2] for r in rows} == {"B2"}
    assert len(rows) == len([f for f in cli()["findings"] if f["org"] == "B2"])


def test_branch_page_due_and_wrong(records, client):
    client.force_login(records.sec1)
    response = client.get(reverse("compliance_branch", args=["B1"]), {"year": "2024", "as_of": "2024-07-15"})
    assert response.status_code == 200
    due = {(d["org"].code, d["kind"], d["period"]) for d in response.context["due"]}
    assert ("B1", "theme_day", "2024-07") in due and ("G1", "group_meeting", "2024-07") in due
    assert ("B1", "branch_assembly", "2024-Q3") in due
    html = response.content.decode()
    assert f"{reverse('activity_create')}?kind=theme_day&amp;org=B1&amp;date=2024-07-15" in html
    assert f"{reverse('work_month')}?org=B1&amp;month=2024-07" in html
    expected = [key(f) for f in cli("B1", "2024-07-15")["findings"]]
    assert [key(r["finding"].as_dict()) for r in response.context["findings"]] == expected
    colours = {row["org"].code: dict(row["cells"]) for row in response.context["table"]}
    assert colours["B1"]["2024-03"] == "red" and colours["B1"]["2024-12"] == "grey"
    assert colours["B1"]["2024-07"] == "amber"


def test_branch_page_of_a_group_goes_to_the_dashboard(world, client):
    client.force_login(world.admin)
    response = client.get(reverse("compliance_branch", args=["ZZ"]))
    assert response.status_code == 302 and "org=ZZ" in response["Location"]


def test_bad_year_and_date_keep_the_page(world, client):
    client.force_login(world.admin)
    response = client.get(reverse("compliance_dashboard"), {"year": "abc", "as_of": "2024-13-01"})
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "年度“abc”无效" in text and "检查日期“2024-13-01”无效" in text


@pytest.mark.parametrize("n", [2, 20])
def test_dashboard_queries_constant(world, client, django_assert_max_num_queries, n):
    """The page costs the facts loader's queries plus a fixed few (session, user, root, rule overrides)."""
    _branches(world, n)
    root = Organization.objects.get(code="ROOT")
    with CaptureQueriesContext(connection) as loader:
        load_facts(root, 2024, lookback_months(load_pack()))
    client.force_login(world.admin)
    with django_assert_max_num_queries(len(loader) + 4):
        response = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT"})
    assert len(response.context["chart"]["codes"]) == n + 2


def test_dashboard_queries_do_not_grow_with_branches(world, client):
    client.force_login(world.admin)
    counts = []
    for n in (2, 20):
        _more_branches(world, len(counts) and 2, n)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT"})
        assert len(response.context["chart"]["codes"]) == n + 2
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def _more_branches(w, start, stop):
    for i in range(start, stop):  # the same branches as test_facts_cli._branches
        b = org_services.org_create(actor=None, parent=w.root, code=f"BX{i}", name=f"支部{i}", kind=OrgKind.BRANCH)
        b = Organization.objects.get(pk=b.pk)
        m = org_services.member_create(actor=None, id_number=make_id("19900101", 100 + i), name=f"党员{i}",
                                       category=Category.FULL, branch=b)
        held(w, b, ActivityKind.THEME_DAY, dt.date(2024, 5, 1), f"ZT-{i}", [m])


def test_heat_map_worst_first_and_paged(records, client, monkeypatch):
    from dangjian.compliance.views import dashboard

    monkeypatch.setattr(dashboard, "HEATMAP_ROWS", 1)
    client.force_login(records.admin)
    first = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT"}).context
    second = client.get(reverse("compliance_dashboard"), {**Q, "org": "ROOT", "hpage": "2"}).context
    # B2 (no activities at all) has more red periods than B1.
    assert (first["chart"]["codes"], second["chart"]["codes"]) == (["B2"], ["B1"])
    assert first["hpage"].paginator.num_pages == 2
