"""iCalendar feeds: the format (escaping, folding, CRLF, UTC), what each feed holds, the signed tokens, and the
page that hands out the links."""

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from dangjian.meetings import feeds, services
from dangjian.meetings.documents.ics import escape_text, fold
from dangjian.meetings.models import ActivityKind, ActivityStatus, Attendance
from dangjian.orgs.models import RoleGrant

from . import test_documents as shared
from .test_documents import make

# Fixtures shared with test_documents.py.
people, templates = shared.people, shared.templates


def parse(content: bytes) -> list[dict[str, list[str]]]:
    """A tiny RFC 5545 reader: checks CRLF and the 75-octet limit, unfolds, returns the VEVENTs' properties."""
    assert content.endswith(b"\r\n")
    raw_lines = content.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in raw_lines)
    assert all(len(line) <= 75 for line in raw_lines)
    lines: list[str] = []
    for raw in raw_lines:
        text = raw.decode("utf-8")  # every physical line is valid UTF-8: no character was split
        if text.startswith(" "):
            lines[-1] += text[1:]
        else:
            lines.append(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR" and "VERSION:2.0" in lines
    events: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None, "END:VEVENT without BEGIN:VEVENT"
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current.setdefault(name, []).append(value)
    return events


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            assert value[i] not in ",;", f"unescaped {value[i]!r} in {value!r}"
            out.append(value[i])
            i += 1
    return "".join(out)


def soon(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


# --- the format ----------------------------------------------------------------------------------


def test_escape_text():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


@pytest.mark.parametrize("line", [
    "SUMMARY:" + "党" * 60,
    "DESCRIPTION:" + "ab党" * 40,
    "X:" + "a" * 200,
    "SUMMARY:短",
])
def test_fold_keeps_lines_within_75_octets_and_unfolds_back(line):
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
    if len(line.encode()) > 75:
        assert len(parts) > 1 and len(parts[0].encode()) >= 73  # filled, not split early


# --- feeds ---------------------------------------------------------------------------------------


@pytest.fixture
def feed_world(world, templates, people):
    """B1's secretary (张书记) is expected at a planned committee meeting in five days (long title, commas),
    a notified assembly next week, and was at one 200 days ago (too old for the feed); G1 and B2 each hold one."""
    w = world
    w.upcoming = make(w, ActivityKind.COMMITTEE_MEETING, soon(5, 14), status=ActivityStatus.PLANNED,
                      ends_at=soon(5, 16), place="三楼会议室；东侧",
                      title="研究发展党员、党员教育管理，以及第二季度“三会一课”安排等重要事项的支部委员会会议",
                      agenda="研究发展党员\n部署学习, 安排分工")
    w.assembly = make(w, ActivityKind.BRANCH_ASSEMBLY, soon(8), status=ActivityStatus.PLANNED, title="党员大会")
    services.activity_advance(actor=None, activity=w.assembly, to=ActivityStatus.NOTIFIED)
    w.old = make(w, ActivityKind.COMMITTEE_MEETING, soon(-200), title="很久以前")
    w.group = make(w, ActivityKind.GROUP_MEETING, soon(3), org=w.g1, status=ActivityStatus.PLANNED, title="小组会")
    w.other = make(w, ActivityKind.BRANCH_ASSEMBLY, soon(4), org=w.b2, status=ActivityStatus.PLANNED,
                   title="机关支部大会")
    return w


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return {unescape(e["SUMMARY"][0]): e for e in parse(response.content)}


def test_member_feed(feed_world, client):
    w = feed_world
    events = _get(client, reverse("ics_member", args=[feeds.member_token(w.sec1)]))
    summary = "[支部委员会] 研究发展党员、党员教育管理，以及第二季度“三会一课”安排等重要事项的支部委员会会议"
    assert set(events) == {summary, "[支部党员大会] 党员大会", "[党小组会] 小组会"}  # 张书记 is in G1
    e = events[summary]
    assert e["DTSTART"] == [w.upcoming.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert e["DTEND"][0].endswith("Z") and e["DTSTAMP"][0].endswith("Z")
    assert e["UID"] == [f"activity-{w.upcoming.pk}@testserver"]
    assert unescape(e["LOCATION"][0]) == "三楼会议室；东侧"
    assert "议程：\n1. 研究发展党员\n2. 部署学习, 安排分工" in unescape(e["DESCRIPTION"][0])
    assert e["STATUS"] == ["TENTATIVE"]
    assert events["[支部党员大会] 党员大会"]["STATUS"] == ["CONFIRMED"]
    assert e["URL"] == [f"http://testserver{reverse('activity_detail', args=[w.upcoming.pk])}"]


def test_member_feed_shows_only_the_members_own_activities(feed_world, client):
    events = _get(client, reverse("ics_member", args=[feeds.member_token(feed_world.member1)]))
    assert set(events) == {"[支部党员大会] 党员大会"}  # 李党员 is not on the committee nor in G1


def test_org_feed(feed_world, client):
    w = feed_world
    events = _get(client, reverse("ics_org", args=["B1", feeds.org_token(w.sec1, w.b1)]))
    assert {s.split("] ")[1][:4] for s in events} == {"研究发展", "党员大会", "小组会"}
    assert not any("机关" in s or "很久" in s for s in events)


def test_tokens_are_stable(feed_world):
    assert feeds.member_token(feed_world.sec1) == feeds.member_token(feed_world.sec1)


def _status(client, name, *args):
    return client.get(reverse(name, args=args)).status_code


def test_bad_tokens_get_404(feed_world, client):
    w = feed_world
    good = feeds.member_token(w.sec1)
    assert _status(client, "ics_member", good) == 200
    assert _status(client, "ics_member", good[:-1] + ("A" if good[-1] != "A" else "B")) == 404  # forged
    assert _status(client, "ics_member", "garbage") == 404
    assert _status(client, "ics_member", signing.Signer(salt="other").sign_object(["m", w.sec1.pk])) == 404
    # A token made for one user cannot be turned into another's: the payload is signed.
    payload, _, sig = good.partition(":")
    other = signing.Signer(salt="x").sign_object(["m", w.member1.pk]).split(":")[0]
    assert _status(client, "ics_member", f"{other}:{sig}") == 404
    org_token = feeds.org_token(w.sec1, w.b1)
    assert _status(client, "ics_member", org_token) == 404  # an org token is not a member token
    assert _status(client, "ics_org", "B1", good) == 404  # nor the reverse
    assert _status(client, "ics_org", "B2", org_token) == 404  # signed for B1
    assert _status(client, "ics_org", "B1", feeds.org_token(w.outsider, w.b1)) == 404  # never saw B1
    assert _status(client, "ics_member", feeds.member_token(w.orgadmin)) == 404  # no member linked


def test_member_feed_of_a_user_without_a_member_is_empty(feed_world):
    w = feed_world
    Attendance.objects.filter(activity=w.other).delete()  # an activity nobody is expected at
    assert w.orgadmin.member_id is None
    assert list(feeds.member_feed_activities(w.orgadmin)) == []


def test_tokens_die_with_access(feed_world, client):
    w = feed_world
    member_url = reverse("ics_member", args=[feeds.member_token(w.sec1)])
    org_url = reverse("ics_org", args=["B1", feeds.org_token(w.sec1, w.b1)])
    RoleGrant.objects.filter(user=w.sec1).delete()
    assert client.get(org_url).status_code == 404
    assert client.get(member_url).status_code == 200
    w.sec1.is_active = False
    w.sec1.save()
    assert client.get(member_url).status_code == 404


def test_org_feed_of_a_committee_is_not_offered(feed_world, client):
    assert _status(client, "ics_org", "ZZ", feeds.org_token(feed_world.admin, feed_world.zz)) == 404


# --- the links page ------------------------------------------------------------------------------


def test_links_page_for_a_member(feed_world, login):
    response = login(feed_world.member1).get(reverse("calendar_links"))
    assert response.status_code == 200
    body = response.content.decode()
    url = response.context["personal"]
    assert url.endswith(".ics") and url in body
    assert response.context["branches"] == [] and "党支部的组织生活" not in body
    assert "Outlook" in body and "复制链接" in body


def test_links_page_for_officers(feed_world, login, client):
    response = login(feed_world.orgadmin).get(reverse("calendar_links"))
    assert response.context["personal"] == ""
    assert [o.code for o, _ in response.context["branches"]] == ["B1", "B2"]
    response = login(feed_world.orgadmin).get(reverse("calendar_links"), {"q": "机关"})
    [(org, url)] = response.context["branches"]
    assert org.code == "B2"
    client.logout()
    assert _get(client, url.replace("http://testserver", ""))  # the link works without a login
    response = login(feed_world.sec1).get(reverse("calendar_links"))
    assert [o.code for o, _ in response.context["branches"]] == ["B1"] and response.context["personal"]
    assert reverse("ledger_xlsx", args=["B1", timezone.localdate().year]) in response.content.decode()


def test_links_page_needs_login(client, world):
    assert client.get(reverse("calendar_links")).status_code == 302
