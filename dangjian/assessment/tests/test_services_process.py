"""The process 自评 → 审核 → 认定: states, permissions, item scores, vetoes, the freeze, re-evaluation, audit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.assessment import selectors, services
from dangjian.assessment.models import ChecklistItem, Evaluation, ItemScore, PostKind, Stage, VetoMark
from dangjian.core.models import AuditAction, AuditEntry
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, Role, RoleGrant, WorkTeam

SCHEME = "dabiao-chuangxing"
YEAR = "2025"


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


@pytest.fixture
def scheme():
    return services.load_scheme(SCHEME)


@pytest.fixture
def reviewer_items(scheme):
    """Codes and specs of the scheme's reviewer-scored items."""
    items = [(code, spec) for code, spec in services.scheme_items(scheme).items() if spec.get("reviewer")]
    assert len(items) >= 2
    return items


@pytest.fixture
def auto_item(scheme):
    return next(code for code, spec in services.scheme_items(scheme).items() if not spec.get("reviewer"))


@pytest.fixture
def veto(scheme):
    return next(iter(scheme["vetoes"]))


@pytest.fixture
def ev(world):
    return services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.b1, period=YEAR)


def submitted(world, ev):
    return services.evaluation_submit(actor=world.sec1, evaluation=ev, note="全年工作已完成")


def reviewed(world, ev):
    submitted(world, ev)
    return services.evaluation_review(actor=world.zz_admin, evaluation=ev, note="同意")


def confirmed(world, ev):
    reviewed(world, ev)
    return services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)


# --- opening ----------------------------------------------------------------------------------------------------

def test_open_creates_version_one_and_returns_it_again(world, ev, scheme):
    assert (ev.version, ev.status, ev.subject_key, ev.subject_kind) == (1, "draft", f"org:{world.b1.pk}", "branch")
    assert (ev.org, ev.top_org, ev.year, ev.period, ev.created_by) == (world.b1, world.root, 2025, "2025", world.sec1)
    assert ev.scheme_version == str(scheme["version"]) and ev.result is None
    again = services.evaluation_open(actor=world.zz_admin, scheme=SCHEME, subject=world.b1, period=YEAR)
    assert again.pk == ev.pk and Evaluation.objects.count() == 1
    created = AuditEntry.objects.get(object_type="evaluation")
    assert created.action == AuditAction.CREATE and created.org_path == world.b1.path


@pytest.mark.parametrize("period", ["2025-Q1", "2025-03", "25", "2025年", "", "1899"])
def test_open_refuses_a_period_in_the_wrong_format(world, period):
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.b1, period=period)
    assert "期间格式错误" in messages(exc) or "年度应在" in messages(exc)
    assert not Evaluation.objects.exists() and not AuditEntry.objects.filter(object_type="evaluation").exists()


def test_open_refuses_a_period_not_yet_begun(world):
    next_year = str(dt.date.today().year + 1)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.b1, period=next_year)
    assert "尚未开始" in messages(exc)
    this_year = str(dt.date.today().year)
    assert services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.b1, period=this_year).year


def test_open_refuses_wrong_subjects_and_schemes(world):
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.orgadmin, scheme=SCHEME, subject=world.zz, period=YEAR)
    assert "不是党支部" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.member, period=YEAR)
    assert "考核对象是党支部" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme="no-such-scheme", subject=world.b1, period=YEAR)
    assert "不存在" in messages(exc)
    assert not Evaluation.objects.exists()


def test_open_permissions(world):
    with pytest.raises(Http404):
        services.evaluation_open(actor=world.outsider, scheme=SCHEME, subject=world.b1, period=YEAR)
    with pytest.raises(Http404):
        services.evaluation_open(actor=world.member1, scheme=SCHEME, subject=world.b1, period=YEAR)
    assert not Evaluation.objects.exists()


# --- permissions ------------------------------------------------------------------------------------------------

def test_may_helpers(world):
    b1 = world.b1
    assert services.may_self_assess(world.sec1, b1) and not services.may_review(world.sec1, b1)
    assert services.may_self_assess(world.zz_admin, b1) and services.may_review(world.zz_admin, b1)
    assert services.may_review(world.orgadmin, b1) and services.may_confirm(world.orgadmin, b1)
    assert services.may_review(world.admin, b1)
    for user in (world.member1, world.outsider):
        assert not services.may_self_assess(user, b1) and not services.may_review(user, b1)
    assert not services.may_review(world.zz_admin, world.b2)  # B2 is not under ZZ


def test_branch_officers_never_review_their_own_branch(world):
    """Even a 组织管理员 above, or a 系统管理员, who also sits on the branch committee may not review it."""
    RoleGrant.objects.create(user=world.orgadmin, role=Role.BRANCH_COMMITTEE, org=world.b1)
    RoleGrant.objects.create(user=world.admin, role=Role.BRANCH_SECRETARY, org=world.b1)
    for user in (world.orgadmin, world.admin):
        user.__dict__.pop("_dangjian_scope", None)
    assert not services.may_review(world.orgadmin, world.b1)
    assert not services.may_review(world.admin, world.b1)
    assert services.may_review(world.orgadmin, world.b2)


def test_an_admin_of_the_branch_itself_is_not_the_level_above(world):
    RoleGrant.objects.create(user=world.member1, role=Role.ORG_ADMIN, org=world.b1)
    assert services.may_self_assess(world.member1, world.b1)
    assert not services.may_review(world.member1, world.b1)


def test_member_sees_own_member_evaluation_but_cannot_self_assess(world):
    ev = services.evaluation_open(actor=world.sec1, scheme="shuangbai-member", subject=world.member, period=YEAR)
    assert ev.org == world.b1 and ev.member == world.member and ev.subject_key == f"member:{world.member.pk}"
    assert services.get_evaluation_for_user(world.member1, ev.pk) == ev
    with pytest.raises(PermissionDenied):
        services.evaluation_submit(actor=world.member1, evaluation=ev)
    with pytest.raises(Http404):
        services.get_evaluation_for_user(world.outsider, ev.pk)
    assert ev.status == "draft"


def test_outsider_and_plain_member_get_404_on_a_branch_evaluation(world, ev, reviewer_items):
    code, _ = reviewer_items[0]
    for user in (world.outsider, world.member1):
        with pytest.raises(Http404):
            services.get_evaluation_for_user(user, ev.pk)
        with pytest.raises(Http404):
            services.item_score_set(actor=user, evaluation=ev, item=code, points=1, stage=Stage.SELF)
        with pytest.raises(Http404):
            services.evaluation_submit(actor=user, evaluation=ev)
    assert not ItemScore.objects.exists()


def test_officer_cannot_review_or_confirm(world, ev, reviewer_items):
    code, _ = reviewer_items[0]
    submitted(world, ev)
    with pytest.raises(PermissionDenied):
        services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=1, note="x", stage=Stage.REVIEW)
    with pytest.raises(PermissionDenied):
        services.evaluation_review(actor=world.sec1, evaluation=ev)
    with pytest.raises(PermissionDenied):
        services.evaluation_return(actor=world.sec1, evaluation=ev, note="自己退回")
    services.evaluation_review(actor=world.zz_admin, evaluation=ev)
    with pytest.raises(PermissionDenied):
        services.evaluation_confirm(actor=world.sec1, evaluation=ev)
    ev.refresh_from_db()
    assert ev.status == "reviewed"


# --- item scores ------------------------------------------------------------------------------------------------

def test_self_and_review_scores(world, ev, reviewer_items):
    code, spec = reviewer_items[0]
    top = Decimal(str(spec["max"]))
    own = services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=str(top), evidence="会议记录本",
                                  stage=Stage.SELF)
    assert (own.points, own.stage, own.by, own.evidence) == (top, "self", world.sec1, "会议记录本")
    services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=top - 1, stage=Stage.SELF)
    own.refresh_from_db()
    assert own.points == top - 1 and ItemScore.objects.count() == 1
    submitted(world, ev)
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.zz_admin, evaluation=ev, item=code, points=top - 2, stage=Stage.REVIEW)
    assert "须填写理由" in messages(exc)
    same = services.item_score_set(actor=world.zz_admin, evaluation=ev, item=code, points=top - 1)
    assert same.stage == "review"  # agreeing with the self score needs no reason
    changed = services.item_score_set(actor=world.zz_admin, evaluation=ev, item=code, points=top - 2,
                                      note="记录不全，扣1分", stage=Stage.REVIEW)
    assert changed.pk == same.pk and changed.note == "记录不全，扣1分"
    assert ItemScore.objects.filter(evaluation=ev).count() == 2
    rows = AuditEntry.objects.filter(object_type="itemscore")
    assert rows.filter(action=AuditAction.CREATE).count() == 2 and rows.filter(action=AuditAction.UPDATE).count() == 2


@pytest.mark.parametrize("points, text", [("-1", "之间"), ("999", "之间"), ("满分", "应为数字"), (None, "请填写分值"),
                                          ("1.005", "两位小数"), ("inf", "有限的数字")])
def test_points_outside_the_range_are_refused(world, ev, reviewer_items, points, text):
    code, _ = reviewer_items[0]
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=points, stage=Stage.SELF)
    assert text in messages(exc)
    assert not ItemScore.objects.exists() and not AuditEntry.objects.filter(object_type="itemscore").exists()


def test_unknown_and_automatic_items_are_refused(world, ev, auto_item):
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.sec1, evaluation=ev, item="nope.nope", points=1)
    assert "没有考核项" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.sec1, evaluation=ev, item=auto_item, points=1)
    assert "自动计分" in messages(exc)


def test_scores_only_in_their_stage(world, ev, reviewer_items):
    code, _ = reviewer_items[0]
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.zz_admin, evaluation=ev, item=code, points=1, stage=Stage.REVIEW)
    assert "当前状态为“草稿”" in messages(exc)
    submitted(world, ev)
    with pytest.raises(ValidationError) as exc:
        services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=1, stage=Stage.SELF)
    assert "当前状态为“已自评”，不能修改自评" in messages(exc)
    with pytest.raises(ValidationError):
        services.item_score_set(actor=world.zz_admin, evaluation=ev, item=code, points=1, stage="final")


def test_clear_a_score(world, ev, reviewer_items):
    code, _ = reviewer_items[0]
    services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=1)
    assert services.item_score_clear(actor=world.sec1, evaluation=ev, item=code)
    assert not services.item_score_clear(actor=world.sec1, evaluation=ev, item=code)
    assert not ItemScore.objects.exists()
    assert AuditEntry.objects.filter(object_type="itemscore", action=AuditAction.DELETE).count() == 1


# --- vetoes -----------------------------------------------------------------------------------------------------

def test_veto_marks(world, ev, veto, scheme):
    with pytest.raises(ValidationError) as exc:
        services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="  ")
    assert "请填写理由" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.veto_set(actor=world.sec1, evaluation=ev, veto="no_such_veto", reason="x")
    assert "没有否决项" in messages(exc)
    mark = services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="支部一名党员受留党察看处分")
    assert (mark.stage, mark.by) == ("self", world.sec1)
    services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="", on=False)  # the branch withdraws it
    assert not VetoMark.objects.exists()
    services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="支部一名党员受留党察看处分")
    submitted(world, ev)
    with pytest.raises(ValidationError):
        services.veto_set(actor=world.zz_admin, evaluation=ev, veto=veto, reason="", on=False)
    services.evaluation_review(actor=world.zz_admin, evaluation=ev)
    services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)
    ev.refresh_from_db()
    assert ev.vetoed and ev.level == scheme["veto_level"] and ev.result["vetoed"]
    assert [v["code"] for v in ev.result["vetoes"]] == [veto]
    with pytest.raises(ValidationError):
        services.veto_set(actor=world.zz_admin, evaluation=ev, veto=veto, reason="x", on=False)
    rows = AuditEntry.objects.filter(object_type="vetomark")
    assert rows.filter(action=AuditAction.CREATE).count() == 2 and rows.filter(action=AuditAction.DELETE).count() == 1


def test_review_clears_a_veto_with_a_reason(world, ev, veto):
    services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="疑似违纪")
    submitted(world, ev)
    services.veto_set(actor=world.zz_admin, evaluation=ev, veto=veto, reason="经核实不属于严重违纪", on=False)
    assert not VetoMark.objects.exists()
    row = AuditEntry.objects.get(object_type="vetomark", action=AuditAction.DELETE)
    assert row.after == {"reason": "经核实不属于严重违纪"}


# --- the state machine ------------------------------------------------------------------------------------------

def test_state_machine(world, ev):
    with pytest.raises(ValidationError) as exc:
        services.evaluation_review(actor=world.zz_admin, evaluation=ev)
    assert "当前状态为“草稿”，不能审核" in messages(exc)
    with pytest.raises(ValidationError):
        services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)
    with pytest.raises(ValidationError):
        services.evaluation_return(actor=world.zz_admin, evaluation=ev, note="退回")
    with pytest.raises(ValidationError):
        services.evaluation_reevaluate(actor=world.orgadmin, evaluation=ev, note="重评")
    submitted(world, ev)
    assert (ev.status, ev.submitted_by, ev.self_note) == ("submitted", world.sec1, "全年工作已完成")
    with pytest.raises(ValidationError) as exc:
        submitted(world, ev)
    assert "不能提交自评" in messages(exc)
    with pytest.raises(ValidationError):
        services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)
    services.evaluation_review(actor=world.zz_admin, evaluation=ev, note="材料齐全")
    assert (ev.status, ev.reviewed_by, ev.review_note) == ("reviewed", world.zz_admin, "材料齐全")
    with pytest.raises(ValidationError):
        services.evaluation_review(actor=world.zz_admin, evaluation=ev)
    ev.refresh_from_db()
    assert ev.status == "reviewed" and ev.result is None


def test_return_needs_a_reason_and_reopens_the_draft(world, ev, reviewer_items):
    code, _ = reviewer_items[0]
    submitted(world, ev)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_return(actor=world.zz_admin, evaluation=ev, note=" ")
    assert "请填写退回理由" in messages(exc)
    services.evaluation_return(actor=world.zz_admin, evaluation=ev, note="佐证材料不全，请补充")
    assert (ev.status, ev.return_note, ev.returned_by) == ("draft", "佐证材料不全，请补充", world.zz_admin)
    services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=1, evidence="补充材料")
    reviewed(world, ev)
    services.evaluation_return(actor=world.orgadmin, evaluation=ev, note="审核后发现问题")
    assert ev.status == "draft"
    statuses = [(row.before["status"], row.after["status"]) for row in
                AuditEntry.objects.filter(object_type="evaluation", action=AuditAction.UPDATE).order_by("id")]
    assert statuses == [("draft", "submitted"), ("submitted", "draft"), ("draft", "submitted"),
                        ("submitted", "reviewed"), ("reviewed", "draft")]


# --- the freeze -------------------------------------------------------------------------------------------------

def add_checklist(w, due: str, done: str | None):
    return ChecklistItem.objects.create(org=w.b1, year=2025, title=f"事项{due}", due_on=dt.date.fromisoformat(due),
                                        done_on=dt.date.fromisoformat(done) if done else None)


def test_confirmation_freezes_the_result(world, ev, reviewer_items, scheme):
    code, spec = reviewer_items[0]
    add_checklist(world, "2025-06-30", "2025-06-01")
    services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=spec["max"], evidence="台账")
    live_before = services.live_result_json(ev)
    confirmed(world, ev)
    ev.refresh_from_db()
    frozen = ev.result
    assert ev.status == "confirmed" and ev.confirmed_by == world.orgadmin and ev.confirmed_at
    assert frozen["scheme_version"] == str(scheme["version"]) == ev.scheme_version
    assert frozen["fingerprint"] == ev.fingerprint and len(ev.fingerprint) == 64
    assert frozen["score"] == live_before["score"] and Decimal(str(frozen["score"])) == ev.score
    assert frozen["level"] == ev.level and frozen["items"] == live_before["items"]
    assert services.fingerprint_of(ev, live_before) == ev.fingerprint
    assert services.inputs_changed(ev) is False

    # Records change after the confirmation: an overdue item on the branch's list, a reviewer score edited.
    add_checklist(world, "2025-03-31", None)
    add_checklist(world, "2025-04-30", None)
    ItemScore.objects.filter(evaluation=ev).update(points=0)
    live_after = services.live_result_json(ev)
    assert live_after["score"] < live_before["score"]
    ev.refresh_from_db()
    assert ev.result == frozen and ev.score == Decimal(str(frozen["score"]))
    assert services.inputs_changed(ev) is True
    row = next(r for r in selectors.results(SCHEME, world.b1, YEAR) if r.key == ev.subject_key)
    assert row.live is False and row.result == frozen  # readers get the frozen result, not the live one
    with pytest.raises(ValidationError):
        services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=0)
    with pytest.raises(ValidationError):
        services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)


def test_confirm_is_audited_with_the_score(world, ev):
    confirmed(world, ev)
    row = AuditEntry.objects.filter(object_type="evaluation", action=AuditAction.UPDATE).order_by("-id").first()
    assert row.before["status"] == "reviewed" and row.after["status"] == "confirmed"
    assert row.after["result"]["score"] == ev.result["score"] and row.actor == world.orgadmin


# --- re-evaluation ----------------------------------------------------------------------------------------------

def test_reevaluation_is_a_new_version(world, ev, reviewer_items, veto):
    code, spec = reviewer_items[0]
    services.item_score_set(actor=world.sec1, evaluation=ev, item=code, points=spec["max"], evidence="台账")
    services.veto_set(actor=world.sec1, evaluation=ev, veto=veto, reason="疑似案件")
    confirmed(world, ev)
    frozen, fingerprint = ev.result, ev.fingerprint
    with pytest.raises(ValidationError) as exc:
        services.evaluation_reevaluate(actor=world.orgadmin, evaluation=ev, note="")
    assert "请填写重评理由" in messages(exc)
    with pytest.raises(PermissionDenied):
        services.evaluation_reevaluate(actor=world.sec1, evaluation=ev, note="要求重评")
    new = services.evaluation_reevaluate(actor=world.orgadmin, evaluation=ev, note="案件经复查撤销")
    ev.refresh_from_db()
    assert (new.version, new.status, new.previous, new.reevaluation_note) == (2, "draft", ev, "案件经复查撤销")
    assert ev.status == "superseded" and ev.result == frozen and ev.fingerprint == fingerprint
    assert new.result is None and new.org == ev.org and new.period == ev.period
    assert list(new.item_scores.values_list("item", "stage", "points")) == [(code, "self", Decimal(str(spec["max"])))]
    assert list(new.veto_marks.values_list("veto", flat=True)) == [veto]
    assert services.evaluation_open(actor=world.sec1, scheme=SCHEME, subject=world.b1, period=YEAR) == new
    services.veto_set(actor=world.sec1, evaluation=new, veto=veto, reason="", on=False)
    confirmed(world, new)
    new.refresh_from_db()
    assert not new.vetoed and new.result["evaluation_version"] == 2
    ev.refresh_from_db()
    assert ev.vetoed and ev.result == frozen
    third = services.evaluation_reevaluate(actor=world.zz_admin, evaluation=new, note="再次复核")
    assert third.version == 3 and third.previous == new
    assert list(Evaluation.objects.order_by("version").values_list("version", "status")) == [
        (1, "superseded"), (2, "superseded"), (3, "draft")]
    with pytest.raises(ValidationError):
        services.evaluation_reevaluate(actor=world.orgadmin, evaluation=ev, note="旧版本不能重评")


# --- other subjects ---------------------------------------------------------------------------------------------

def test_team_and_post_subjects(world):
    team = WorkTeam.objects.create(code="T1", name="装卸一班", branch=world.b1)
    ev = services.evaluation_open(actor=world.sec1, scheme="wuhao-banzu", subject=team, period=YEAR)
    assert (ev.subject_kind, ev.subject_key, ev.team, ev.org) == ("team", f"team:{team.pk}", team, world.b1)
    kpi = services.post_create(actor=world.sec1, org=world.b1, name="装卸效率岗", kind=PostKind.KPI, holder=world.member)
    ev = services.evaluation_open(actor=world.sec1, scheme="post-kpi", subject=kpi, period=YEAR)
    assert (ev.subject_kind, ev.subject_key, ev.post) == ("post", f"post:{kpi.pk}", kpi)
    model = services.post_create(actor=world.sec1, org=world.b1, name="党员示范岗", kind=PostKind.MODEL)
    monthly = services.evaluation_open(actor=world.sec1, scheme="model-post", subject=model, period="2025-03")
    assert (monthly.period, monthly.year) == ("2025-03", 2025)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme="model-post", subject=model, period="2025")
    assert "期间格式错误" in messages(exc) and "月度" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme="post-kpi", subject=model, period=YEAR)
    assert "不适用" in messages(exc)
    services.post_update(actor=world.sec1, post=kpi, active=False)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme="post-kpi", subject=kpi, period="2026")
    assert "已停用" in messages(exc)


def test_member_scheme_is_for_party_members(world, id_factory):
    activist = org_services.member_create(actor=None, id_number=id_factory("19990101"), name="赵积极",
                                          category=Category.ACTIVIST, branch=world.b1)
    with pytest.raises(ValidationError) as exc:
        services.evaluation_open(actor=world.sec1, scheme="shuangbai-member", subject=activist, period=YEAR)
    assert "不是党员" in messages(exc)


def test_confirming_a_subject_that_no_longer_fits_is_refused(world):
    post = services.post_create(actor=world.sec1, org=world.b1, name="装卸效率岗", kind=PostKind.KPI)
    ev = services.evaluation_open(actor=world.sec1, scheme="post-kpi", subject=post, period=YEAR)
    reviewed(world, ev)
    services.post_update(actor=world.sec1, post=post, active=False)
    with pytest.raises(ValidationError):
        services.evaluation_confirm(actor=world.orgadmin, evaluation=ev)
    ev.refresh_from_db()
    assert ev.status == "reviewed" and ev.result is None
