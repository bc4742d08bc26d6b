"""The Excel of the year's points table: one row per member, one column per category and special, total, grade,
rank; a second sheet with the pack's rules and sources. It agrees with the ranking page."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.points import selectors
from dangjian.points.export import write_table
from dangjian.points.models import SpecialAssessment

from .test_views import YEAR, add_entry, count_queries, more_members, points_fixture  # noqa: F401


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(response.content))


def test_export_rows_and_columns(points, client):
    special = SpecialAssessment.objects.create(
        org=points.root, name="安全生产月", starts_on=dt.date(YEAR, 6, 1), ends_on=dt.date(YEAR, 6, 30),
        weight=Decimal("0.10"), max_points=Decimal("100"),
        rules=[{"code": "safety_task", "name": "安全生产任务完成评分", "kind": "manual", "range": [0, 60]}])
    add_entry(points, points.member, "safety_task", "special", 50, dt.date(YEAR, 6, 10), assessment=special)
    client.force_login(points.orgadmin)
    r = client.get(reverse("points_export"), {"org": "ROOT", "year": YEAR})
    assert "attachment" in r["Content-Disposition"] and ".xlsx" in r["Content-Disposition"]
    wb = workbook(r)
    ws = wb["积分表"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["排名", "姓名", "身份证号", "所在组织"]
    assert "参加组织活动（满分20）" in header and "专项：安全生产月" in header
    assert header[-3:] == ["总分", "等次", "备注"]
    rows = {row[1]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"李党员", "张书记", "王机关"}
    li = rows["李党员"]
    assert li[0] == 1 and li[header.index("总分")] == 28 and li[header.index("等次")] == "不合格"
    assert li[header.index("参加组织活动（满分20）")] == 3
    assert li[header.index("专项：安全生产月")] == 50
    assert "*" in li[2]  # the ID number is masked
    assert "本年尚未评分" in li[header.index("备注")]
    rules = wb["积分规则"]
    cells = [c for row in rules.iter_rows(values_only=True) for c in row if c]
    assert "出席组织生活" in cells and any("种子文档000" in str(c) for c in cells)
    assert "优秀" in cells


def test_export_agrees_with_the_ranking_page(points, client):
    more_members(points, 4)
    client.force_login(points.sec1)
    page = client.get(reverse("points_ranking"), {"org": "B1", "year": YEAR})
    shown = {row["r"].name: (row["r"].rank, row["r"].total) for row in page.context["page"].object_list}
    ws = workbook(client.get(reverse("points_export"), {"org": "B1", "year": YEAR}))["积分表"]
    header = [c.value for c in ws[1]]
    exported = {row[1]: (row[0], Decimal(str(row[header.index("总分")])))
                for row in ws.iter_rows(min_row=2, values_only=True)}
    assert exported == shown


def test_export_for_a_period(points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_export"), {"org": "B1", "year": YEAR, "period": f"{YEAR}-Q1"})
    assert f"{YEAR}-Q1" in r["Content-Disposition"] or "Q1" in r["Content-Disposition"]
    ws = workbook(r)["积分表"]
    header = [c.value for c in ws[1]]
    rows = {row[1]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["李党员"][header.index("参加组织活动（满分20）")] == 3
    assert rows["李党员"][header.index("等次")] in ("", None)


@pytest.mark.parametrize("who, org, code", [("member1", "B1", 404), ("member1", "", 404), ("outsider", "B1", 404),
                                            ("sec1", "ROOT", 404), ("zz_admin", "B2", 404), ("outsider", "B2", 200)])
def test_export_scoping(points, client, who, org, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_export"), {"org": org} if org else {})
    assert r.status_code == code


def test_export_query_count_is_constant(points, client):
    client.force_login(points.orgadmin)
    url = f"{reverse('points_export')}?org=ROOT&year={YEAR}"
    before = count_queries(client, url)
    more_members(points, 10)
    assert count_queries(client, url) == before


def test_write_table_of_an_empty_subtree(world, tmp_path):
    world.b2_member.category = "activist"
    world.b2_member.save(update_fields=["category"])
    target = tmp_path / "empty.xlsx"
    write_table(str(target), selectors.year_table(world.b2, YEAR))
    wb = load_workbook(target)
    assert wb["积分表"].max_row == 1 and wb.sheetnames == ["积分表", "积分规则"]
