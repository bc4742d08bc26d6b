"""The points pages: the member's own page and the officers' view of it (award, reverse, declare), scoping.

Fixtures here are shared by the other test_views_* modules.
"""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_id
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.points.models import ClaimStatus, EntrySource, PointClaim, PointEntry

YEAR = dt.date.today().year
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def add_entry(w, member, rule, category, points, day=None, *, source=EntrySource.AWARDED, slot="", reason="测试",
              assessment=None, reverses=None):
    day = day or dt.date(YEAR, 3, 15)
    return PointEntry.objects.create(
        member=member, org=member.branch, top_org=w.root, rule=rule, category=category, points=Decimal(str(points)),
        occurred_on=day, year=day.year, period=f"{day:%Y-%m}", slot=slot, source=source,
        source_key=f"award:{uuid.uuid4().hex}", reason=reason, assessment=assessment, reverses=reverses)


@pytest.fixture(name="points")
def points_fixture(world):
    """李党员 (member1): 3 attendances, a duty score, a deduction; 张书记 (sec1): 5 attendances; 王机关 (B2): one."""
    w = world
    for i in range(3):
        add_entry(w, w.member, "attend_present", "activity", 1, dt.date(YEAR, i + 1, 10), source=EntrySource.AUTO)
    add_entry(w, w.member, "duty_score", "duty", 12, dt.date(YEAR, 3, 31), slot=f"{YEAR}-Q1")
    w.deduction = add_entry(w, w.member, "discipline_deduct", "discipline", -2, dt.date(YEAR, 4, 2),
                            reason="无故迟到早退")
    for i in range(5):
        add_entry(w, w.sec_member, "attend_present", "activity", 1, dt.date(YEAR, i + 1, 12), source=EntrySource.AUTO)
    add_entry(w, w.b2_member, "attend_present", "activity", 1, dt.date(YEAR, 2, 1), source=EntrySource.AUTO)
    return w


def more_members(w, n: int, start: int = 0) -> None:
    """n more party members in B1 (and G1), each with two entries."""
    for i in range(start, start + n):
        m = org_services.member_create(actor=None, id_number=make_id("19900202", 200 + i), name=f"党员{i:02d}",
                                       category=Category.FULL, branch=w.b1, group=w.g1 if i % 2 else None)
        add_entry(w, m, "attend_present", "activity", 1, dt.date(YEAR, 5, 5), source=EntrySource.AUTO)
        add_entry(w, m, "duty_score", "duty", 10, dt.date(YEAR, 6, 30), slot=f"{YEAR}-Q2")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- the member's own page --------------------------------------------------------------------------------

def test_me_shows_total_grade_rank_bars_and_entries(points, client):
    client.force_login(points.member1)
    r = client.get(reverse("points_me"))
    assert r.status_code == 200
    result = r.context["result"]
    # 3 (activity) + 12 (duty, one scored quarter) + 10 − 2 (discipline) = 23
    assert result.total == Decimal("23")
    assert result.grade == "不合格"
    assert r.context["mp"].rank_branch == 1  # 23 > 张书记's 5 + 10
    text = r.content.decode()
    assert "我的积分" in text and "无故迟到早退" in text and "履行岗位职责" in text
    assert 'id="month-chart"' in text and "申报积分" in text
    assert f"{YEAR}-Q1" in text
    # bars: the discipline bar shows 8 of 10
    bars = {b["c"].code: b for b in r.context["bars"]}
    assert bars["discipline"]["value"] == "8" and bars["discipline"]["cap"] == "10"


def test_me_shows_cut_when_cap_exceeded(points, client):
    for i in range(25):
        add_entry(points, points.member, "attend_present", "activity", 1, dt.date(YEAR, 7, 1) + dt.timedelta(days=i),
                  source=EntrySource.AUTO)
    client.force_login(points.member1)
    r = client.get(reverse("points_me"))
    bars = {b["c"].code: b for b in r.context["bars"]}
    assert bars["activity"]["value"] == "20" and bars["activity"]["cut"] == "8"
    assert "超出上限截去 8 分" in r.content.decode()


def test_me_without_member_is_an_empty_state(world, client):
    client.force_login(world.orgadmin)
    r = client.get(reverse("points_me"))
    assert r.status_code == 200
    assert "还没有关联党员信息" in r.content.decode()


def test_me_empty_year(world, client):
    client.force_login(world.member1)
    r = client.get(reverse("points_me"), {"year": YEAR - 3})
    assert r.status_code == 200
    assert f"{YEAR - 3}年还没有积分记录" in r.content.decode()


def test_me_bad_year_warns_and_shows_this_year(points, client):
    client.force_login(points.member1)
    r = client.get(reverse("points_me"), {"year": "abc"})
    assert r.status_code == 200 and r.context["year"] == YEAR
    assert "年度“abc”无效" in r.content.decode()


def test_me_query_count_is_constant(points, client):
    client.force_login(points.member1)
    url = reverse("points_me")
    before = count_queries(client, url)
    more_members(points, 12)
    for i in range(20):
        add_entry(points, points.member, "attend_present", "activity", 1, dt.date(YEAR, 8, 1) + dt.timedelta(days=i),
                  source=EntrySource.AUTO)
    assert count_queries(client, url) == before


def test_member_page_query_count_is_constant(points, client):
    client.force_login(points.sec1)
    url = reverse("points_member", args=[points.member.pk])
    before = count_queries(client, url)
    more_members(points, 12)
    for i in range(5):
        add_entry(points, points.member, "discipline_deduct", "discipline", -1, dt.date(YEAR, 9, 1 + i))
    assert count_queries(client, url) == before


# --- the officers' view -------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code", [("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
                                       ("outsider", 404), ("member1", 302)])
def test_member_page_scoping(points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_member", args=[points.member.pk]))
    assert r.status_code == code
    if code == 302:  # a member looking at their own id is sent to their own page
        assert r["Location"].startswith(reverse("points_me"))


def test_plain_member_cannot_see_another_member(points, client):
    client.force_login(points.member1)
    assert client.get(reverse("points_member", args=[points.sec_member.pk])).status_code == 404
    assert client.get(reverse("points_member", args=[points.b2_member.pk])).status_code == 404


def test_officer_sees_award_form_and_reverse(points, client):
    client.force_login(points.sec1)
    text = client.get(reverse("points_member", args=[points.member.pk])).content.decode()
    assert "奖励 / 扣分" in text and "确认冲销" in text


def test_award_writes_an_entry(points, client):
    client.force_login(points.sec1)
    r = client.post(reverse("points_award", args=[points.member.pk]), {
        "rule": "discipline_deduct", "points": "-1.5", "occurred_on": f"{YEAR}-05-06", "reason": "违反安全规程"})
    assert r.status_code == 302
    e = PointEntry.objects.get(member=points.member, reason="违反安全规程")
    assert e.points == Decimal("-1.5") and e.created_by == points.sec1
    assert e.source == EntrySource.AWARDED


@pytest.mark.parametrize("data, message", [
    ({"rule": "discipline_deduct", "points": "-20", "reason": "太多"}, ""),
    ({"rule": "discipline_deduct", "points": "abc", "reason": "x"}, "请输入数字"),
    ({"rule": "discipline_deduct", "points": "-1", "reason": ""}, "请填写事由"),
    ({"rule": "attend_present", "points": "1", "reason": "x"}, "请选择事项"),
])
def test_award_bad_input_changes_nothing(points, client, data, message):
    client.force_login(points.sec1)
    before = PointEntry.objects.count()
    r = client.post(reverse("points_award", args=[points.member.pk]), {"occurred_on": f"{YEAR}-05-06", **data},
                    follow=True)
    assert PointEntry.objects.count() == before
    text = r.content.decode()
    assert "未能保存" in text and message in text


@pytest.mark.parametrize("who, code", [("outsider", 404), ("member1", 403)])
def test_award_refused_outside_scope(points, client, who, code):
    client.force_login(getattr(points, who))
    before = PointEntry.objects.count()
    r = client.post(reverse("points_award", args=[points.member.pk]), {
        "rule": "discipline_deduct", "points": "-1", "occurred_on": f"{YEAR}-05-06", "reason": "x"})
    assert r.status_code == code
    assert PointEntry.objects.count() == before


def test_reverse_with_reason(points, client):
    client.force_login(points.sec1)
    r = client.post(reverse("points_entry_reverse", args=[points.deduction.pk]), {"reason": "查明为误记"})
    assert r.status_code == 302
    reversal = PointEntry.objects.get(reverses=points.deduction)
    assert reversal.points == Decimal("2") and reversal.reason == "查明为误记"
    page = client.get(reverse("points_member", args=[points.member.pk]))
    assert page.context["result"].categories["discipline"].value == Decimal("10")
    assert "已被冲销：查明为误记" in page.content.decode()


def test_reverse_needs_a_reason_and_happens_once(points, client):
    client.force_login(points.sec1)
    url = reverse("points_entry_reverse", args=[points.deduction.pk])
    client.post(url, {"reason": ""})
    assert not PointEntry.objects.filter(reverses=points.deduction).exists()
    client.post(url, {"reason": "误记"})
    r = client.post(url, {"reason": "再次"}, follow=True)
    assert PointEntry.objects.filter(reverses=points.deduction).count() == 1
    assert "未能冲销" in r.content.decode()


@pytest.mark.parametrize("who, code", [("outsider", 404), ("member1", 403)])
def test_reverse_refused_outside_scope(points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.post(reverse("points_entry_reverse", args=[points.deduction.pk]), {"reason": "x"})
    assert r.status_code == code
    assert not PointEntry.objects.filter(reverses=points.deduction).exists()


# --- declaring -----------------------------------------------------------------------------------------------

def test_member_declares_with_evidence(points, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(points.member1)
    r = client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "2", "occurred_on": f"{YEAR}-06-01", "reason": "社区义诊志愿者",
        "evidence": SimpleUploadedFile("照片.png", PNG, content_type="image/png")})
    assert r.status_code == 302
    claim = PointClaim.objects.get(member=points.member)
    assert claim.status == ClaimStatus.PENDING and claim.points == Decimal("2")
    assert claim.evidence and "照片" not in claim.evidence.name
    text = client.get(reverse("points_me")).content.decode()
    assert "社区义诊志愿者" in text and "待审批" in text


def test_declaring_a_non_declared_rule_or_bad_file_changes_nothing(points, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(points.member1)
    r = client.post(reverse("points_claim_create"), {
        "rule": "discipline_deduct", "points": "2", "occurred_on": f"{YEAR}-06-01", "reason": "x"})
    assert r.status_code == 200 and "请选择可申报的事项" in r.content.decode()
    r = client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "2", "occurred_on": f"{YEAR}-06-01", "reason": "x",
        "evidence": SimpleUploadedFile("a.png", b"not an image", content_type="image/png")})
    assert r.status_code == 200 and "内容不是PNG图片" in r.content.decode()
    r = client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "50", "occurred_on": f"{YEAR}-06-01", "reason": "x"})
    assert r.status_code == 200
    assert not PointClaim.objects.exists()


def test_user_without_member_cannot_declare(world, client):
    client.force_login(world.orgadmin)
    r = client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "2", "occurred_on": f"{YEAR}-06-01", "reason": "x"})
    assert r.status_code == 302
    assert not PointClaim.objects.exists()


def test_anonymous_is_sent_to_login(world, client):
    for name in ("points_me", "points_ranking", "points_claims", "points_specials", "points_packs"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/login/" in r["Location"]
