"""The compliance dashboard of a subtree (heat map of branches × periods, counts by rule, the findings), a
branch's own page (what is due and what is wrong) and the Excel export of the problem list.

The pages call the same facts loader and engine as `check_compliance`, so the web and the CLI agree.
A large subtree: the heat map shows its branches worst first (most red periods, then most findings),
HEATMAP_ROWS at a time with their own pager, and links to the 党总支s/党委s below the root to narrow it.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_org_for_user, get_scope, orgs_for
from dangjian.orgs.models import Organization, OrgKind

from ..engine import KIND_LABELS, PERIOD_WORDS, Finding, Result, check, lookback_months, periods
from ..export import SEVERITY_LABELS, write_findings
from ..facts import load_facts
from ..pack import effective_rules, load_pack
from ..services import overrides_for

HEATMAP_ROWS = 30
COLOUR_VALUE = {"grey": 0, "green": 1, "amber": 2, "red": 3}
COLOUR_LABELS = {"grey": "未检查", "green": "正常", "amber": "待完成/提醒", "red": "有问题"}


@dataclass
class Check:
    root: Organization
    year: int
    as_of: dt.date
    pack: dict[str, Any]
    facts: Any
    result: Result
    overrides: dict[str, Any]


def run_check(root: Organization, year: int, as_of: dt.date) -> Check:
    """The same call as the check_compliance command."""
    pack = load_pack()
    facts = load_facts(root, year, lookback_months(pack))
    overrides = overrides_for(root.path)
    return Check(root, year, as_of, pack, facts, check(facts, pack, year, as_of, overrides), overrides)


def period_labels(year: int) -> list[str]:
    return ([p.label for p in periods("month", year)] + [p.label for p in periods("quarter", year)]
            + [str(year)])


def period_title(label: str) -> str:
    if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
        return f"{int(label[5:])}月"
    if "-Q" in label:
        return f"{label[-1]}季度"
    return "全年"


def _parse(request) -> tuple[int, dt.date]:
    today = timezone.localdate()
    year = today.year
    text = request.GET.get("year", "").strip()
    if text:
        if text.isdigit() and 2000 <= int(text) <= 2100:
            year = int(text)
        else:
            messages.warning(request, f"年度“{text}”无效，已显示{year}年度")
    as_of = today
    text = request.GET.get("as_of", "").strip()
    if text:
        try:
            as_of = dt.date.fromisoformat(text)
        except ValueError:
            messages.warning(request, f"检查日期“{text}”无效，应为 YYYY-MM-DD，已按今天检查")
    return year, as_of


def _root_for(request) -> Organization:
    scope = get_scope(request.user)
    if not scope.is_officer:
        raise Http404("页面不存在或无权查看")
    code = request.GET.get("org", "").strip()
    if code:
        return get_org_for_user(request.user, code)
    root = orgs_for(request.user).order_by("path").first()
    if root is None:
        raise Http404("页面不存在或无权查看")
    return root


class Rows:
    """The findings of a check with what the pages need: branches, filters, links."""

    def __init__(self, c: Check):
        self.c = c
        self.orgs = {o.code: o for o in c.facts.orgs}
        by_path = {o.path: o for o in c.facts.orgs}
        self.branch_of: dict[str, str | None] = {}
        for o in c.facts.orgs:
            if o.kind == OrgKind.BRANCH:
                self.branch_of[o.code] = o.code
            elif o.kind == OrgKind.GROUP and o.path[:-4] in by_path:
                self.branch_of[o.code] = by_path[o.path[:-4]].code
            else:
                self.branch_of[o.code] = None
        self.activities = {a.id: a for a in c.facts.activities}
        self.by_code = {a.code: a for a in c.facts.activities if a.code}

    def filtered(self, rule: str = "", branch: str = "", period: str = "") -> list[Finding]:
        out = self.c.result.findings
        if rule:
            out = [f for f in out if f.rule == rule]
        if branch:
            out = [f for f in out if f.org == branch or self.branch_of.get(f.org) == branch]
        if period:
            out = [f for f in out if (f.period or "") == period]
        return out

    def row(self, f: Finding) -> dict[str, Any]:
        rule = self.c.pack["rules"].get(f.rule, {})
        org = self.orgs.get(f.org)
        acts = [self.activities[i] for i in f.evidence if i in self.activities]
        if f.activity and f.activity in self.by_code and not any(a.code == f.activity for a in acts):
            acts.append(self.by_code[f.activity])
        return {"finding": f, "rule_name": rule.get("name", f.rule), "org_name": org.name if org else f.org,
                "branch": self.branch_of.get(f.org), "severity_label": SEVERITY_LABELS.get(f.severity, f.severity),
                "activities": [(a.id, a.code) for a in acts]}

    def colours(self) -> dict[tuple[str, str], str]:
        """The worst colour of a branch (with its 党小组s) per period."""
        order = COLOUR_VALUE
        out: dict[tuple[str, str], str] = {}
        for s in self.c.result.status:
            branch = self.branch_of.get(s.org)
            if branch is None:
                continue
            key = (branch, s.period)
            if order[s.colour] > order[out.get(key, "grey")]:
                out[key] = s.colour
        return out

    def rule_counts(self) -> list[dict[str, Any]]:
        counts = Counter(f.rule for f in self.c.result.findings)
        return [{"code": code, "name": r["name"], "severity": SEVERITY_LABELS.get(r["severity"], r["severity"]),
                 "severity_key": r["severity"], "count": counts.get(code, 0), "enabled": r["enabled"]}
                for code, r in self.c.pack["rules"].items()]


def _querystring(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


@login_required
def compliance_dashboard(request):
    root = _root_for(request)
    year, as_of = _parse(request)
    c = run_check(root, year, as_of)
    rows = Rows(c)
    rule, branch, period = (request.GET.get(k, "").strip() for k in ("rule", "branch", "period"))
    findings = rows.filtered(rule, branch, period)
    page, querystring = paginate(request, findings)
    page.object_list = [rows.row(f) for f in page.object_list]

    colours = rows.colours()
    red: Counter = Counter()
    found: Counter = Counter(rows.branch_of.get(f.org) for f in c.result.findings)
    for (b, _), colour in colours.items():
        red[b] += colour == "red"
    branches = sorted((o for o in c.facts.orgs if o.kind == OrgKind.BRANCH),
                      key=lambda o: (-red[o.code], -found[o.code], o.path))
    hpage = Paginator(branches, HEATMAP_ROWS).get_page(request.GET.get("hpage"))
    labels = period_labels(year)
    shown = list(hpage.object_list)
    cells = []
    for y, b in enumerate(shown):
        for x, label in enumerate(labels):
            colour = colours.get((b.code, label), "grey")
            cells.append([x, y, COLOUR_VALUE[colour]])
    base = reverse("compliance_dashboard")
    chart = {"x": [period_title(label) for label in labels], "periods": labels,
             "y": [f"{b.name}（{b.code}）" for b in shown], "codes": [b.code for b in shown], "cells": cells,
             "url": f"{base}?{urlencode({'org': root.code, 'year': year, 'as_of': as_of.isoformat()})}"}
    below = [o for o in c.facts.orgs if len(o.path) == len(root.path) + 4
             and o.kind in (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH)]
    return render(request, "compliance/dashboard.html", {
        "root": root, "year": year, "as_of": as_of, "pack": c.pack, "page": page, "querystring": querystring,
        "page_url": base, "rule": rule, "branch": branch, "period": period, "rule_counts": rows.rule_counts(),
        "total": len(c.result.findings), "filtered_total": len(findings), "chart": chart, "hpage": hpage,
        "hpage_query": _querystring(request, hpage=""), "branch_count": len(branches), "below": below,
        "export_query": _querystring(request, page="", hpage=""), "colour_labels": COLOUR_LABELS,
        "breadcrumbs": [("规范化检查", None)],
    })


@login_required
def compliance_export(request):
    root = _root_for(request)
    year, as_of = _parse(request)
    rows = Rows(run_check(root, year, as_of))
    rule, branch, period = (request.GET.get(k, "").strip() for k in ("rule", "branch", "period"))
    buffer = BytesIO()
    write_findings(buffer, [rows.row(f) for f in rows.filtered(rule, branch, period)])
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(
        True, f"规范化检查问题清单-{root.code}-{year}.xlsx")
    return response


def due_now(c: Check, branch_code: str) -> list[dict[str, Any]]:
    """The frequency rules of the branch and its 党小组s whose current period is not yet met (amber)."""
    out = []
    branch_id = _id(c, branch_code)
    members = [m for m in c.facts.members if m.branch_id == branch_id]
    for org in c.facts.orgs:
        if org.kind not in (OrgKind.BRANCH, OrgKind.GROUP):
            continue
        if org.founded_on is not None and org.founded_on > c.as_of:
            continue
        for rule in effective_rules(c.pack, org.path, c.overrides).values():
            if not rule["enabled"] or rule["check"] != "frequency" or rule["holder"] != org.kind:
                continue
            p = rule["params"]
            current = next((x for x in periods(p["period"], c.year) if x.contains(c.as_of)), None)
            if current is None or (org.founded_on is not None and current.start < org.founded_on):
                continue
            threshold = p.get("min_full_members")
            if threshold is not None and sum(1 for m in members if m.is_full_on(current.end)) < threshold:
                continue
            done = sum(1 for a in c.facts.activities if a.org_id == org.id and a.kind == rule["activity"]
                       and current.contains(a.day) and a.counts)
            if done < p["times"]:
                out.append({"org": org, "rule": rule, "label": KIND_LABELS.get(rule["activity"], rule["activity"]),
                            "kind": rule["activity"], "period": current.label, "done": done, "times": p["times"],
                            "word": PERIOD_WORDS.get(p["period"], ""), "ends": current.end})
    return out


def _id(c: Check, code: str) -> int | None:
    return next((o.id for o in c.facts.orgs if o.code == code), None)


@login_required
def compliance_branch(request, code):
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")
    org = get_org_for_user(request.user, code)
    if org.kind != OrgKind.BRANCH:
        return redirect(f"{reverse('compliance_dashboard')}?{urlencode({'org': org.code})}")
    year, as_of = _parse(request)
    c = run_check(org, year, as_of)
    rows = Rows(c)
    labels = period_labels(year)
    status = {(s.org, s.period): s.colour for s in c.result.status}
    table = [{"org": o, "cells": [(label, status.get((o.code, label), "grey")) for label in labels]}
             for o in c.facts.orgs if o.kind in (OrgKind.BRANCH, OrgKind.GROUP)]
    by_period: dict[str, int] = defaultdict(int)
    for f in c.result.findings:
        by_period[f.period or ""] += 1
    return render(request, "compliance/branch.html", {
        "org": org, "year": year, "as_of": as_of, "pack": c.pack, "table": table,
        "headers": [period_title(label) for label in labels], "labels": labels,
        "findings": [rows.row(f) for f in c.result.findings], "due": due_now(c, org.code),
        "colour_labels": COLOUR_LABELS, "month": f"{as_of.year}-{as_of.month:02d}",
        "plan_date": as_of.isoformat(),
        "breadcrumbs": [("规范化检查", reverse("compliance_dashboard")), (org.name, None)],
    })
