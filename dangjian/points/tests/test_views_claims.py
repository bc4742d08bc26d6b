"""The approval queue: officers approve or reject (with a reason) members' claims; the evidence is served only
to those who may see the claim."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.points.models import ClaimStatus, PointClaim, PointEntry

from .test_views import PNG, YEAR, count_queries, more_members, points_fixture  # noqa: F401


@pytest.fixture
def claim(points, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(points.member1)
    client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "3", "occurred_on": f"{YEAR}-06-01", "reason": "义务献血",
        "evidence": SimpleUploadedFile("献血证.png", PNG, content_type="image/png")})
    client.logout()
    return PointClaim.objects.get(member=points.member)


@pytest.mark.parametrize("who, code", [("admin", 200), ("orgadmin", 200), ("sec1", 200), ("outsider", 200),
                                       ("member1", 404)])
def test_queue_scoping(claim, points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_claims"))
    assert r.status_code == code
    if code == 200:
        shown = "义务献血" in r.content.decode()
        assert shown == (who != "outsider")


def test_queue_lists_pending_first_and_filters(claim, points, client):
    client.force_login(points.sec1)
    r = client.get(reverse("points_claims"))
    text = r.content.decode()
    assert "其他服务职工群众事项" in text and "通过" in text and "驳回" in text
    r = client.get(reverse("points_claims"), {"status": "approved"})
    assert "没有符合条件的申报" in r.content.decode()
    r = client.get(reverse("points_claims"), {"org": "B2", "status": "all"})
    assert r.status_code == 404  # B2 is not sec1's
    r = client.get(reverse("points_claims"), {"status": "bogus"})
    assert "状态“bogus”无效" in r.content.decode()


def test_approve_writes_the_entry(claim, points, client):
    client.force_login(points.sec1)
    r = client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "approve", "note": "属实"})
    assert r.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by == points.sec1
    entry = PointEntry.objects.get(claim=claim)
    assert entry.points == Decimal("3") and entry.approved_by == points.sec1
    client.force_login(points.member1)
    page = client.get(reverse("points_me"))
    assert page.context["result"].categories["service"].value == Decimal("3")
    assert "已通过" in page.content.decode()


def test_reject_needs_a_reason(claim, points, client):
    client.force_login(points.sec1)
    r = client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "reject", "note": ""}, follow=True)
    assert "驳回须填写理由" in r.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "reject", "note": "材料不全"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and claim.decision_note == "材料不全"
    assert not PointEntry.objects.filter(claim=claim).exists()


def test_a_claim_is_decided_once(claim, points, client):
    client.force_login(points.sec1)
    client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "approve"})
    r = client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "reject", "note": "改主意"})
    assert r.status_code in (302, 403)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert PointEntry.objects.filter(claim=claim).count() == 1


@pytest.mark.parametrize("who, code", [("outsider", 404), ("member1", 403)])
def test_decide_refused_outside_scope(claim, points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.post(reverse("points_claim_decide", args=[claim.pk]), {"decision": "approve"})
    assert r.status_code == code
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_secretary_cannot_approve_own_claim(points, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(points.sec1)
    client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "1", "occurred_on": f"{YEAR}-06-02", "reason": "本人申报"})
    own = PointClaim.objects.get(member=points.sec_member)
    assert "须由其他支部委员审批" in client.get(reverse("points_claims")).content.decode()
    assert client.post(reverse("points_claim_decide", args=[own.pk]), {"decision": "approve"}).status_code == 403
    own.refresh_from_db()
    assert own.status == ClaimStatus.PENDING


@pytest.mark.parametrize("who, code", [("member1", 200), ("sec1", 200), ("orgadmin", 200), ("outsider", 404),
                                       ("zz_admin", 200)])
def test_evidence_download_is_access_checked(claim, points, client, who, code):
    client.force_login(getattr(points, who))
    r = client.get(reverse("points_claim_evidence", args=[claim.pk]))
    assert r.status_code == code
    if code == 200:
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Type"] == "image/png"
        assert "attachment" in r["Content-Disposition"]
        assert b"".join(r.streaming_content) == PNG


def test_evidence_of_a_claim_without_file_is_404(points, client):
    client.force_login(points.member1)
    client.post(reverse("points_claim_create"), {
        "rule": "service_declared", "points": "1", "occurred_on": f"{YEAR}-06-02", "reason": "无附件"})
    c = PointClaim.objects.get(member=points.member)
    assert client.get(reverse("points_claim_evidence", args=[c.pk])).status_code == 404


def test_other_members_cannot_see_a_claim(claim, points, client):
    client.force_login(points.outsider)
    assert client.get(reverse("points_claim_evidence", args=[claim.pk])).status_code == 404


def test_queue_query_count_is_constant(claim, points, client):
    client.force_login(points.sec1)
    before = count_queries(client, reverse("points_claims"))
    more_members(points, 4)
    for m in points.b1.members.exclude(pk__in=[points.member.pk, points.sec_member.pk]):
        PointClaim.objects.create(member=m, org=points.b1, rule="service_declared", category="service", points=1,
                                  occurred_on=dt.date(YEAR, 6, 3), reason="批量申报")
    assert count_queries(client, reverse("points_claims")) == before
