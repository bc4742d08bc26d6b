"""Writes of the points app: grid scores, awards, reversals, claims and their approval, specials, pack versions,
permissions and the audit trail. Bad input changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.points import services
from dangjian.points.models import (
    ClaimStatus,
    EntrySource,
    PointClaim,
    PointEntry,
    PointPackVersion,
    SpecialAssessment,
)
from dangjian.points.pack import DEFAULT_PACK
from dangjian.points.selectors import pack_for, year_table
from dangjian.standards.loader import PACK_DIR

TODAY = timezone.localdate()
YEAR = TODAY.year
Q1 = f"{YEAR}-Q1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def live(member, rule=None):
    qs = PointEntry.objects.filter(member=member, reverses__isnull=True, reversed_by__isnull=True)
    return list(qs.filter(rule=rule) if rule else qs)


def audits(model: str) -> int:
    return AuditEntry.objects.filter(object_type=model).count()


# --- grid scores ---------------------------------------------------------------------------------------

def test_score_set_writes_changes_by_reversal_and_clears(world):
    entry = services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=Q1, points="12")
    assert (entry.points, entry.slot, entry.source, entry.source_key) == (Decimal("12"), Q1, EntrySource.AWARDED,
                                                                          f"grid:{Q1}")
    assert entry.occurred_on == dt.date(YEAR, 3, 31) and entry.created_by == world.sec1
    same = services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=Q1, points="12.0")
    assert same.pk == entry.pk and PointEntry.objects.count() == 1  # unchanged: nothing written
    changed = services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=Q1, points="13.5")
    assert changed.points == Decimal("13.5") and [e.pk for e in live(world.member)] == [changed.pk]
    reversal = PointEntry.objects.get(reverses=entry)
    assert reversal.points == Decimal("-12") and "12 → 13.5" in reversal.reason
    assert services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=Q1, points=None) is None
    assert live(world.member) == []
    row = year_table(world.b1, YEAR).by_member[world.member.pk]
    assert row.categories["duty"].value == 0 and "履行岗位职责：本年尚未评分" in row.missing
    assert audits("pointentry") == 4  # 2 scores, 2 reversals


def test_mean_of_quarter_scores_in_the_table(world):
    services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=Q1, points="12")
    services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=f"{YEAR}-Q2", points="0")
    services.score_set(actor=world.sec1, member=world.member, rule="duty_score", slot=f"{YEAR}-Q2", points="15")
    row = year_table(world.b1, YEAR).by_member[world.member.pk]
    assert row.categories["duty"].value == Decimal("13.5")  # (12 + 15) / 2 scored quarters
    q1 = year_table(world.b1, YEAR, period=Q1).by_member[world.member.pk]
    assert q1.categories["duty"].value == Decimal("12")


@pytest.mark.parametrize("changes, field, message", [
    ({"points": "16"}, "points", "“岗位职责履行评分”的分值应在0至15之间"),
    ({"points": "-1"}, "points", "应在0至15之间"),
    ({"points": "abc"}, "points", "分值“abc”无效"),
    ({"points": "1.25"}, "points", "最多保留一位小数"),
    ({"slot": f"{YEAR}-05"}, "slot", "按季度评分"),
    ({"slot": "2026-Q9"}, "slot", "评分期间“2026-Q9”无效"),
    ({"slot": f"{YEAR + 1}-Q1"}, "slot", "尚未开始"),
    ({"rule": "attend_present"}, "rule", "不是按期间评分的规则"),
    ({"rule": "nope"}, "rule", "积分规则“nope”不存在"),
])
def test_score_set_bad_input_changes_nothing(world, changes, field, message):
    args = {"rule": "duty_score", "slot": Q1, "points": "10"} | changes
    with pytest.raises(ValidationError) as exc:
        services.score_set(actor=world.sec1, member=world.member, **args)
    assert message in " ".join(exc.value.message_dict[field])
    assert PointEntry.objects.count() == 0 and audits("pointentry") == 0


@pytest.mark.parametrize("who", ["member1", "outsider"])
def test_score_set_needs_an_officer_of_the_branch(world, who):
    with pytest.raises(PermissionDenied):
        services.score_set(actor=getattr(world, who), member=world.member, rule="duty_score", slot=Q1, points="9")
    assert PointEntry.objects.count() == 0


def test_non_party_members_have_no_points(world):
    applicant = org_services.member_create(actor=None, id_number=make_id("20000101", 55), name="申请人",
                                           category=Category.APPLICANT, branch=world.b1)
    with pytest.raises(ValidationError, match="不是党员"):
        services.score_set(actor=world.sec1, member=applicant, rule="duty_score", slot=Q1, points="9")


# --- awards and reversals ----------------------------------------------------------------------------

def test_award_needs_a_reason_and_a_manual_rule(world):
    day = TODAY - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="请填写奖励或扣分的事由"):
        services.entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points="-2",
                             occurred_on=day, reason=" ")
    with pytest.raises(ValidationError, match="由系统根据记录自动计分"):
        services.entry_award(actor=world.sec1, member=world.member, rule="attend_present", points="1",
                             occurred_on=day, reason="补记")
    with pytest.raises(ValidationError, match="请在评分表中录入"):
        services.entry_award(actor=world.sec1, member=world.member, rule="duty_score", points="1",
                             occurred_on=day, reason="x")
    with pytest.raises(ValidationError, match="应在-10至-0.5之间"):
        services.entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points="2",
                             occurred_on=day, reason="x")
    with pytest.raises(ValidationError, match="日期不能晚于今天"):
        services.entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points="-2",
                             occurred_on=TODAY + dt.timedelta(days=1), reason="x")
    assert PointEntry.objects.count() == 0
    entry = services.entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points="-2.5",
                                 occurred_on=day, reason="无故迟到")
    assert entry.points == Decimal("-2.5") and entry.source_key.startswith("award:") and entry.reason == "无故迟到"
    assert year_table(world.b1, YEAR).by_member[world.member.pk].categories["discipline"].value == Decimal("7.5")
    assert AuditEntry.objects.filter(object_type="pointentry", object_id=str(entry.pk), actor=world.sec1).exists()


def test_reverse_an_award(world):
    entry = services.entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points="-2",
                                 occurred_on=TODAY, reason="迟到")
    with pytest.raises(ValidationError, match="请填写冲销原因"):
        services.entry_reverse(actor=world.sec1, entry=entry, reason="")
    with pytest.raises(PermissionDenied):
        services.entry_reverse(actor=world.outsider, entry=entry, reason="错误")
    reversal = services.entry_reverse(actor=world.sec1, entry=entry, reason="经核实为误记")
    assert reversal.points == Decimal("2") and reversal.reverses_id == entry.pk
    with pytest.raises(ValidationError, match="已被冲销"):
        services.entry_reverse(actor=world.sec1, entry=entry, reason="再次")
    with pytest.raises(ValidationError, match="冲销记录本身不能再冲销"):
        services.entry_reverse(actor=world.sec1, entry=reversal, reason="再次")
    assert PointEntry.objects.count() == 2
    assert year_table(world.b1, YEAR).by_member[world.member.pk].categories["discipline"].value == 10


def test_automatic_entries_are_not_reversed_by_hand(world):
    from .test_accrual import activity, mark

    mark(activity(world), world.member, "present")
    services.accrue(root=world.root, year=YEAR)
    with pytest.raises(ValidationError, match="请修改原始记录"):
        services.entry_reverse(actor=world.sec1, entry=PointEntry.objects.get(), reason="x")


# --- claims ----------------------------------------------------------------------------------------------

@pytest.fixture
def claim(world, media_root):
    upload = SimpleUploadedFile("证明.png", PNG, content_type="image/png")
    return services.claim_create(actor=world.member1, member=world.member, rule="service_declared", points="3",
                                 occurred_on=TODAY, reason="为职工义务维修", upload=upload)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_claim_is_stored_with_checked_evidence_under_a_generated_name(claim, world):
    assert claim.status == ClaimStatus.PENDING and claim.created_by == world.member1
    assert claim.evidence.name.startswith("points/claims/") and "证明" not in claim.evidence.name
    assert claim.evidence_name == "证明.png" and claim.evidence_type == "image/png"
    assert PointEntry.objects.count() == 0 and audits("pointclaim") == 1


def test_claim_validation(world, media_root):
    def create(**changes):
        args = {"actor": world.member1, "member": world.member, "rule": "service_declared", "points": "3",
                "occurred_on": TODAY, "reason": "义务劳动"} | changes
        return services.claim_create(**args)

    with pytest.raises(ValidationError, match="不是可申报的积分项目"):
        create(rule="discipline_deduct", points="-1")
    with pytest.raises(ValidationError, match="应在0.5至5之间"):
        create(points="6")
    with pytest.raises(ValidationError, match="请填写申报事由"):
        create(reason="")
    with pytest.raises(ValidationError, match="不允许上传"):
        create(upload=SimpleUploadedFile("x.exe", b"MZ" + b"\x00" * 20))
    with pytest.raises(PermissionDenied):
        create(actor=world.outsider)
    with pytest.raises(PermissionDenied):
        create(member=world.sec_member)  # member1 cannot declare for someone else
    assert PointClaim.objects.count() == 0
    assert not (media_root / "points").exists() or not any((media_root / "points").rglob("*.*"))


def test_approve_creates_the_entry(claim, world):
    decided = services.claim_decide(actor=world.sec1, claim=claim, approve=True, note="属实")
    assert decided.status == ClaimStatus.APPROVED and decided.decided_by == world.sec1
    entry = decided.entry
    assert (entry.points, entry.source, entry.claim_id, entry.approved_by, entry.created_by) == (
        Decimal("3"), EntrySource.DECLARED, claim.pk, world.sec1, world.member1)
    assert year_table(world.b1, YEAR).by_member[world.member.pk].categories["service"].value == 3
    with pytest.raises(ValidationError, match="不能重复审批"):
        services.claim_decide(actor=world.sec1, claim=claim, approve=True)
    assert PointEntry.objects.count() == 1
    assert audits("pointclaim") == 2 and audits("pointentry") == 1


def test_reject_needs_a_note(claim, world):
    with pytest.raises(ValidationError, match="驳回申报须填写理由"):
        services.claim_decide(actor=world.sec1, claim=claim, approve=False, note="")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    services.claim_decide(actor=world.sec1, claim=claim, approve=False, note="材料不足")
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note, claim.entry) == (ClaimStatus.REJECTED, "材料不足", None)
    assert PointEntry.objects.count() == 0


def test_no_one_decides_their_own_claim(world, media_root):
    own = services.claim_create(actor=world.sec1, member=world.sec_member, rule="service_declared", points="2",
                                occurred_on=TODAY, reason="帮扶困难职工")
    assert not services.may_decide(world.sec1, own)
    with pytest.raises(PermissionDenied):
        services.claim_decide(actor=world.sec1, claim=own, approve=True)
    assert services.may_decide(world.orgadmin, own)
    services.claim_decide(actor=world.orgadmin, claim=own, approve=True)


@pytest.mark.parametrize("who", ["member1", "outsider"])
def test_only_officers_decide(claim, world, who):
    with pytest.raises(PermissionDenied):
        services.claim_decide(actor=getattr(world, who), claim=claim, approve=True)


# --- specials -----------------------------------------------------------------------------------------

RULES = [{"code": "task", "name": "完成安全生产任务", "kind": "manual", "range": [0, 60]},
         {"code": "idea", "name": "安全合理化建议", "kind": "declared", "range": [1, 10]}]


def make_special(world, actor=None, **changes):
    args = {"org": world.root, "name": "安全生产月劳动竞赛", "starts_on": dt.date(YEAR, 6, 1),
            "ends_on": dt.date(YEAR, 6, 30), "weight": "0.10", "max_points": "100", "rules": RULES} | changes
    return services.special_create(actor=actor or world.orgadmin, **args)


def test_special_window_weight_and_cap(world):
    special = make_special(world)
    assert special.weight == Decimal("0.10") and audits("specialassessment") == 1
    for pts in ("60", "50"):
        services.entry_award(actor=world.sec1, member=world.member, rule="task", points=pts,
                             occurred_on=dt.date(YEAR, 6, 10), reason="完成任务", assessment=special)
    with pytest.raises(ValidationError, match="时间范围内"):
        services.entry_award(actor=world.sec1, member=world.member, rule="task", points="5",
                             occurred_on=dt.date(YEAR, 7, 1), reason="窗口外", assessment=special)
    with pytest.raises(ValidationError, match="应在0至60之间"):
        services.entry_award(actor=world.sec1, member=world.member, rule="task", points="61",
                             occurred_on=dt.date(YEAR, 6, 10), reason="x", assessment=special)
    row = year_table(world.root, YEAR).by_member[world.member.pk]
    value = row.specials[special.pk]
    assert (value.raw, value.result, value.contribution) == (Decimal("110"), Decimal("100"), Decimal("10.0"))
    assert row.total == row.base_total + 10
    assert row.categories["activity"].value == 0  # special entries count only in the special


def test_special_validation_and_permission(world):
    with pytest.raises(ValidationError) as exc:
        make_special(world, ends_on=dt.date(YEAR, 5, 1), weight="-1", max_points="0", name="",
                     rules=[{"code": "x", "name": "x", "kind": "manual"}])
    errors = exc.value.message_dict
    assert set(errors) == {"name", "ends_on", "weight", "max_points", "rules"}
    assert "rules[0].range" in errors["rules"][0]
    with pytest.raises(PermissionDenied):
        make_special(world, actor=world.sec1, org=world.b1)
    with pytest.raises(PermissionDenied):
        make_special(world, actor=world.zz_admin)  # ROOT is above their subtree
    make_special(world, actor=world.zz_admin, org=world.zz)
    assert SpecialAssessment.objects.count() == 1


def test_special_update(world):
    special = make_special(world)
    services.special_update(actor=world.orgadmin, special=special, weight="0.2", active=False)
    special.refresh_from_db()
    assert special.weight == Decimal("0.2") and not special.active
    with pytest.raises(ValidationError):
        services.special_update(actor=world.orgadmin, special=special, starts_on=dt.date(YEAR, 12, 1))
    with pytest.raises(PermissionDenied):
        services.special_update(actor=world.sec1, special=special, name="改名")
    assert audits("specialassessment") == 2


def test_declared_special_claim(world, media_root):
    special = make_special(world)
    claim = services.claim_create(actor=world.member1, member=world.member, rule="idea", points="4",
                                  occurred_on=dt.date(YEAR, 6, 5), reason="提出防滑建议", assessment=special)
    services.claim_decide(actor=world.sec1, claim=claim, approve=True)
    assert year_table(world.root, YEAR).by_member[world.member.pk].specials[special.pk].result == 4


# --- pack versions ----------------------------------------------------------------------------------

def default_text() -> str:
    return (PACK_DIR / DEFAULT_PACK).read_text(encoding="utf-8")


def test_pack_version_applies_from_its_date(world):
    text = default_text().replace("max: 20", "max: 30")
    start = TODAY + dt.timedelta(days=1)
    version = services.pack_version_create(actor=world.zz_admin, org=world.zz, effective_from=start,
                                           source_text=text, note="提高组织活动上限")
    assert version.content["categories"]["activity"]["max"] == 30 and version.source_text == text
    assert pack_for(world.b1, TODAY)["categories"]["activity"]["max"] == 20
    assert pack_for(world.b1, start)["categories"]["activity"]["max"] == 30
    assert pack_for(world.b2, start)["categories"]["activity"]["max"] == 20
    assert audits("pointpackversion") == 1


def test_pack_version_errors_change_nothing(world):
    with pytest.raises(ValidationError) as exc:
        services.pack_version_create(actor=world.orgadmin, org=world.root, effective_from=TODAY,
                                     source_text=default_text().replace("category: activity", "category: fun", 1))
    assert "ROOT的积分规则: rules.attend_present.category: 未知的积分类别“fun”" in exc.value.message_dict["source_text"][0]
    with pytest.raises(ValidationError, match="生效日期不能早于今天"):
        services.pack_version_create(actor=world.orgadmin, org=world.root,
                                     effective_from=TODAY - dt.timedelta(days=1), source_text=default_text())
    with pytest.raises(PermissionDenied):
        services.pack_version_create(actor=world.sec1, org=world.b1, effective_from=TODAY, source_text=default_text())
    services.pack_version_create(actor=world.orgadmin, org=world.root, effective_from=TODAY, source_text=default_text())
    with pytest.raises(ValidationError, match="已有一个积分规则版本"):
        services.pack_version_create(actor=world.orgadmin, org=world.root, effective_from=TODAY,
                                     source_text=default_text())
    assert PointPackVersion.objects.count() == 1


# --- permission helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize("who, expected", [("admin", True), ("orgadmin", True), ("zz_admin", True), ("sec1", True),
                                           ("member1", False), ("outsider", False)])
def test_may_score(world, who, expected):
    assert services.may_score(getattr(world, who), world.member) is expected


@pytest.mark.parametrize("who, org, expected", [("admin", "root", True), ("orgadmin", "b1", True),
                                                ("zz_admin", "zz", True), ("zz_admin", "root", False),
                                                ("zz_admin", "b2", False), ("sec1", "b1", False),
                                                ("member1", "b1", False)])
def test_may_manage(world, who, org, expected):
    assert services.may_manage(getattr(world, who), getattr(world, org)) is expected


def test_ledger_rows_are_protected_but_go_with_their_member(claim, world):
    from django.db.models import RestrictedError

    services.claim_decide(actor=world.sec1, claim=claim, approve=True)
    entry = PointEntry.objects.get()
    services.entry_reverse(actor=world.sec1, entry=entry, reason="误记")
    with pytest.raises(RestrictedError):
        entry.delete()
    world.member.delete()
    assert not PointEntry.objects.exists() and not PointClaim.objects.exists()
