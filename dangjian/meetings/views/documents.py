"""Documents and feeds: the Word meeting record, the yearly 台账 (Word and Excel), iCalendar feeds and the page
that hands out the feed links."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.scoping import get_org_for_user, get_scope, orgs_for
from dangjian.orgs.models import Organization, OrgKind

from .. import feeds
from ..documents import ics
from ..documents.docx import ledger_filename, record_filename, write_ledger, write_record
from ..documents.facts import activity_facts
from ..documents.ledger import load_ledger
from ..documents.xlsx import write_ledger_xlsx
from ..selectors import activities_for

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Documents are built in a spooled file: in memory while small, on disk past this size, then streamed.
SPOOL_BYTES = 8 * 1024 * 1024
YEARS = range(2000, 2101)
LINKS_LIMIT = 50


def _spooled():
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def _download(write, filename: str, content_type: str) -> FileResponse:
    out = _spooled()
    write(out)
    out.seek(0)
    # FileResponse sends the name as filename*=utf-8''… (RFC 5987) with an ASCII fallback.
    return FileResponse(out, as_attachment=True, filename=filename, content_type=content_type)


@login_required
def activity_record_docx(request, pk: int):
    activity = (activities_for(request.user).select_related("org", "host", "recorder", "lecturer")
                .filter(pk=pk).first())
    if activity is None:
        raise Http404("活动不存在或无权查看")
    facts = activity_facts([activity])[0]
    return _download(lambda out: write_record(facts, out), record_filename(facts), DOCX)


def _ledger_branch(request, code: str, year: int) -> Organization:
    """The branch, if the user is an officer who sees it (a member or an outsider gets 404)."""
    org = get_org_for_user(request.user, code)
    if org.kind != OrgKind.BRANCH or year not in YEARS or not get_scope(request.user).sees_org(org):
        raise Http404("台账只能按党支部和年份导出")
    return org


@login_required
def ledger_docx(request, code: str, year: int):
    ledger = load_ledger(_ledger_branch(request, code, year), year)
    return _download(lambda out: write_ledger(ledger, out), ledger_filename(ledger, "docx"), DOCX)


@login_required
def ledger_xlsx(request, code: str, year: int):
    ledger = load_ledger(_ledger_branch(request, code, year), year)
    return _download(lambda out: write_ledger_xlsx(ledger, out), ledger_filename(ledger, "xlsx"), XLSX)


# --- calendar feeds ------------------------------------------------------------------------------


def _calendar_response(request, name: str, activities, filename: str) -> HttpResponse:
    domain = request.get_host().split(":")[0] or "dangjian"
    events = [ics.activity_event(a, domain=domain,
                                 url=request.build_absolute_uri(reverse("activity_detail", args=[a.pk])))
              for a in activities]
    response = HttpResponse(ics.calendar(name, events), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def ics_member(request, token: str):
    user = feeds.member_feed_user(token)
    return _calendar_response(request, "我的组织生活", feeds.member_feed_activities(user), "my-activities.ics")


def ics_org(request, code: str, token: str):
    _user, org = feeds.org_feed_target(code, token)
    return _calendar_response(request, f"{org.name}组织生活", feeds.org_feed_activities(org), f"{org.code}.ics")


def _feed_url(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


@login_required
def calendar_links(request):
    user = request.user
    scope = get_scope(user)
    personal = _feed_url(request, "ics_member", feeds.member_token(user)) if user.member_id else ""
    q = request.GET.get("q", "").strip()
    branches, total = [], 0
    if scope.is_officer:
        qs = orgs_for(user).filter(kind=OrgKind.BRANCH).order_by("path")
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
        total = qs.count()
        branches = [(o, _feed_url(request, "ics_org", o.code, feeds.org_token(user, o)))
                    for o in qs[:LINKS_LIMIT]]
    return render(request, "meetings/calendar_links.html", {
        "personal": personal, "branches": branches, "total": total, "limit": LINKS_LIMIT, "q": q,
        "is_officer": scope.is_officer, "past_days": feeds.PAST_DAYS, "year": timezone.localdate().year,
        "breadcrumbs": [("日历订阅", None)],
    })
