"""The ranking of a branch or any subtree (the group ranking is the same page at the root) and its Excel export.

Both call `selectors.year_table`, like the CLI and the API, so that they agree on every total.
"""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header

from dangjian.core.pagination import paginate
from dangjian.orgs.models import Organization, OrgKind

from .. import selectors
from ..export import write_table
from .common import num, officer_root, parse_year, period_choices, period_title, period_year, querystring

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request, year: int) -> tuple[str, str]:
    """(category code, period key) from the query, dropping invalid ones with a warning."""
    period = request.GET.get("period", "").strip()
    if period and period_year(period) != year:
        messages.warning(request, f"期间“{period}”无效，应为本年度的月份（{year}-03）或季度（{year}-Q1），已显示全年")
        period = ""
    return request.GET.get("category", "").strip(), period


def _table(request, root: Organization, year: int):
    category, period = _filters(request, year)
    try:
        table = selectors.year_table(root, year, category=category or None, period=period or None)
    except ValueError as exc:
        messages.warning(request, f"{exc}；已按总分排名")
        category = ""
        table = selectors.year_table(root, year, period=period or None)
    return table, table.category or "", period


def _grade_chart(table) -> dict:
    grades = [g["name"] for g in table.pack.get("grades", [])]
    counts = dict(table.grade_counts or {})
    names = grades + [g for g in counts if g not in grades]
    return {"names": names, "values": [counts.get(g, 0) for g in names]}


@login_required
def points_ranking(request):
    root = officer_root(request)
    year = parse_year(request)
    table, category, period = _table(request, root, year)
    categories = table.pack.get("categories") or {}
    page, query = paginate(request, table.rows)
    page.object_list = [_row(r, categories, table.specials) for r in page.object_list]
    chart = _grade_chart(table)
    below = list(Organization.objects.filter(root.subtree_q(), depth=root.depth + 1)
                 .exclude(kind=OrgKind.GROUP).order_by("path")[:40])
    return render(request, "points/ranking.html", {
        "root": root, "year": year, "table": table, "page": page, "querystring": query,
        "page_url": reverse("points_ranking"), "category": category, "period": period,
        "period_title": period_title(period), "period_choices": period_choices(year),
        "categories": [(code, c.get("name", code), num(c.get("max"))) for code, c in categories.items()],
        "specials": table.specials, "chart": chart, "below": below, "member_count": len(table.rows),
        "grade_rows": list(zip(chart["names"], chart["values"], strict=True)),
        "export_query": querystring(request, page=""),
        "breadcrumbs": [("积分排名", None)],
    })


def _row(result, categories: dict, specials) -> dict:
    return {"r": result, "cells": [result.categories.get(code) for code in categories],
            "specials": [result.specials.get(getattr(s, "id", None)) for s in specials]}


@login_required
def points_export(request):
    root = officer_root(request)
    year = parse_year(request)
    table, _, period = _table(request, root, year)
    buffer = BytesIO()
    write_table(buffer, table)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    suffix = f"-{period}" if period else ""
    response["Content-Disposition"] = content_disposition_header(True, f"党员积分-{root.name}-{year}{suffix}.xlsx")
    return response
