"""Creation checklists (清单化), posts, KPI indicators and values: validation, permissions, audit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.assessment import services
from dangjian.assessment.models import ChecklistItem, KpiIndicator, KpiValue, Post, PostKind
from dangjian.core.models import AuditAction, AuditEntry


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def audit_rows(model: str, action: str | None = None):
    rows = AuditEntry.objects.filter(object_type=model)
    return rows.filter(action=action) if action else rows


# --- checklists -------------------------------------------------------------------------------------------------

def make_item(w, **kw):
    args = {"actor": w.sec1, "org": w.b1, "year": 2025, "title": "建成党员活动室", "due_on": "2025-06-30"}
    return services.checklist_item_create(**{**args, **kw})


def test_checklist_create_for_branch_and_member(world):
    item = make_item(world, target="面积不少于40平方米", feeds="basic_support.checklist")
    own = make_item(world, member=world.member, title="讲一次微党课", due_on=dt.date(2025, 9, 30))
    assert item.due_on == dt.date(2025, 6, 30) and item.member is None and item.created_by == world.sec1
    assert own.member == world.member
    assert audit_rows("checklistitem", AuditAction.CREATE).count() == 2
    entry = audit_rows("checklistitem").first()
    assert entry.org_path == world.b1.path and entry.after["title"] in ("建成党员活动室", "讲一次微党课")


@pytest.mark.parametrize("kw, text", [
    ({"due_on": "2025/06/30"}, "完成时限格式错误"),
    ({"due_on": "2026-01-15"}, "完成时限应在2025年内"),
    ({"due_on": ""}, "请填写完成时限"),
    ({"year": "二〇二五"}, "年度格式错误"),
    ({"year": 1999}, "年度应在"),
    ({"title": "  "}, "请填写事项"),
    ({"feeds": "基本保障"}, "计入考核项格式错误"),
    ({"feeds": "basic_support.no_such_item"}, "不是任何考核方案中的考核项"),
])
def test_checklist_create_validation(world, kw, text):
    with pytest.raises(ValidationError) as exc:
        make_item(world, **kw)
    assert text in messages(exc)
    assert not ChecklistItem.objects.exists() and not audit_rows("checklistitem").exists()


def test_checklist_member_of_another_branch_refused(world):
    with pytest.raises(ValidationError) as exc:
        make_item(world, member=world.b2_member)
    assert "不是“装卸一队党支部”的党员" in messages(exc)


def test_checklist_only_for_a_branch(world):
    with pytest.raises(ValidationError) as exc:
        make_item(world, actor=world.orgadmin, org=world.zz)
    assert "不是党支部" in messages(exc)


def test_checklist_permissions(world):
    with pytest.raises(Http404):
        make_item(world, actor=world.outsider)
    with pytest.raises(Http404):
        make_item(world, actor=world.member1)
    assert make_item(world, actor=world.zz_admin).org == world.b1  # the level above may set targets


def test_checklist_complete_reopen_update_delete(world):
    item = make_item(world)
    done = services.checklist_item_complete(actor=world.sec1, item=item, done_on="2025-06-20", evidence="活动室照片")
    assert done.done_in_time and done.evidence == "活动室照片"
    services.checklist_item_reopen(actor=world.sec1, item=item)
    item.refresh_from_db()
    assert item.done_on is None
    services.checklist_item_update(actor=world.sec1, item=item, title="建成标准化党员活动室", due_on="2025-07-31")
    item.refresh_from_db()
    assert item.title == "建成标准化党员活动室" and item.due_on == dt.date(2025, 7, 31)
    update = audit_rows("checklistitem", AuditAction.UPDATE).order_by("-id").first()
    assert update.before["title"] == "建成党员活动室" and update.after["title"] == "建成标准化党员活动室"
    with pytest.raises(ValidationError):
        services.checklist_item_update(actor=world.sec1, item=item, due_on="2024-12-31")
    services.checklist_item_delete(actor=world.sec1, item=item)
    assert not ChecklistItem.objects.exists()
    assert audit_rows("checklistitem", AuditAction.DELETE).count() == 1


@pytest.mark.parametrize("done_on, evidence, text", [
    ("2025-6-20x", "照片", "完成日期格式错误"),
    (None, "照片", "请填写完成日期"),
    ("2099-01-01", "照片", "不能晚于今天"),
    ("2024-12-31", "照片", "应在2025年或之后"),
    ("2025-06-20", " ", "请填写完成佐证"),
])
def test_checklist_complete_validation(world, done_on, evidence, text):
    item = make_item(world)
    with pytest.raises(ValidationError) as exc:
        services.checklist_item_complete(actor=world.sec1, item=item, done_on=done_on, evidence=evidence)
    assert text in messages(exc)
    item.refresh_from_db()
    assert item.done_on is None


def test_member_completes_own_item_only(world):
    own = make_item(world, member=world.member)
    branch_item = make_item(world)
    services.checklist_item_complete(actor=world.member1, item=own, done_on="2025-05-01", evidence="讲稿")
    own.refresh_from_db()
    assert own.done_on == dt.date(2025, 5, 1)
    with pytest.raises(Http404):
        services.checklist_item_complete(actor=world.member1, item=branch_item, done_on="2025-05-01", evidence="x")
    with pytest.raises(Http404):
        services.checklist_item_complete(actor=world.outsider, item=own, done_on="2025-05-01", evidence="x")
    with pytest.raises(Http404):
        services.checklist_item_delete(actor=world.member1, item=own)


# --- posts ------------------------------------------------------------------------------------------------------

def make_post(w, **kw):
    args = {"actor": w.sec1, "org": w.b1, "name": "装卸效率岗", "kind": PostKind.KPI, "holder": w.member}
    return services.post_create(**{**args, **kw})


def test_post_create_and_update(world):
    post = make_post(world, since="2024-03-01", note="班组长岗位")
    assert post.since == dt.date(2024, 3, 1) and post.holder == world.member and post.active
    services.post_update(actor=world.sec1, post=post, holder=world.sec_member, active=False)
    post.refresh_from_db()
    assert post.holder == world.sec_member and not post.active
    assert audit_rows("post", AuditAction.CREATE).count() == 1
    update = audit_rows("post", AuditAction.UPDATE).get()
    assert update.before["holder"] == world.member.pk and update.after["holder"] == world.sec_member.pk
    with pytest.raises(ValueError):
        services.post_update(actor=world.sec1, post=post, kind=PostKind.MODEL)


@pytest.mark.parametrize("kw, text", [
    ({"kind": "star"}, "岗位类型应为"),
    ({"name": ""}, "请填写岗位名称"),
    ({"since": "2024.03.01"}, "设立日期格式错误"),
])
def test_post_validation(world, kw, text):
    with pytest.raises(ValidationError) as exc:
        make_post(world, **kw)
    assert text in messages(exc)
    assert not Post.objects.exists()


def test_post_holder_and_duplicates(world):
    with pytest.raises(ValidationError) as exc:
        make_post(world, holder=world.b2_member)
    assert "不是“装卸一队党支部”的党员" in messages(exc)
    make_post(world)
    with pytest.raises(ValidationError) as exc:
        make_post(world)
    assert "已有同名" in messages(exc)
    assert make_post(world, kind=PostKind.MODEL).kind == PostKind.MODEL  # the same name as a 示范岗 is fine


def test_post_permissions(world):
    with pytest.raises(Http404):
        make_post(world, actor=world.outsider)
    with pytest.raises(Http404):
        make_post(world, actor=world.member1)
    post = make_post(world)
    with pytest.raises(Http404):
        services.post_update(actor=world.outsider, post=post, name="改名")


# --- KPI --------------------------------------------------------------------------------------------------------

def make_indicator(w, post=None, **kw):
    post = post or make_post(w)
    args = {"actor": w.sec1, "post": post, "code": "eff", "name": "装卸效率", "unit": "吨/小时",
            "coefficient": "1.5", "from_year": 2024}
    return services.kpi_indicator_create(**{**args, **kw})


def test_kpi_indicator_create(world):
    ind = make_indicator(world, higher_is_better=False)
    assert ind.coefficient == Decimal("1.5") and not ind.higher_is_better and ind.from_year == 2024
    assert audit_rows("kpiindicator", AuditAction.CREATE).get().after["code"] == "eff"


@pytest.mark.parametrize("kw, text", [
    ({"code": "效率"}, "指标编码应为"),
    ({"coefficient": 0}, "系数应大于0"),
    ({"coefficient": "abc"}, "系数应为数字"),
    ({"coefficient": "1.234"}, "最多两位小数"),
    ({"name": ""}, "请填写指标名称"),
    ({"from_year": "2024年"}, "年度格式错误"),
])
def test_kpi_indicator_validation(world, kw, text):
    post = make_post(world)
    with pytest.raises(ValidationError) as exc:
        make_indicator(world, post=post, **kw)
    assert text in messages(exc)
    assert not KpiIndicator.objects.exists()


def test_kpi_indicator_only_on_kpi_posts_and_unique(world):
    model_post = make_post(world, kind=PostKind.MODEL, name="党员示范岗")
    with pytest.raises(ValidationError) as exc:
        make_indicator(world, post=model_post)
    assert "不是岗位KPI类岗位" in messages(exc)
    ind = make_indicator(world)
    with pytest.raises(ValidationError) as exc:
        make_indicator(world, post=ind.post)
    assert "已有指标编码" in messages(exc)


def test_kpi_value_set_and_replace(world):
    ind = make_indicator(world)
    value = services.kpi_value_set(actor=world.sec1, indicator=ind, period="2025", target="120", actual=None)
    assert value.year == 2025 and value.target == Decimal("120") and value.actual is None
    services.kpi_value_set(actor=world.sec1, indicator=ind, period="2025", target=120, actual="132.5", note="年报")
    value.refresh_from_db()
    assert value.actual == Decimal("132.5") and KpiValue.objects.count() == 1
    services.kpi_value_set(actor=world.sec1, indicator=ind, period="2025-Q2", target=30, actual=31)
    services.kpi_value_set(actor=world.sec1, indicator=ind, period="2025-06", target=10, actual=9)
    assert sorted(KpiValue.objects.values_list("period", flat=True)) == ["2025", "2025-06", "2025-Q2"]
    assert audit_rows("kpivalue", AuditAction.CREATE).count() == 3
    update = audit_rows("kpivalue", AuditAction.UPDATE).get()
    assert update.before["actual"] is None and update.after["actual"] == "132.5000"


@pytest.mark.parametrize("kw, text", [
    ({"period": "2025-13"}, "期间格式错误"),
    ({"period": "2025Q1"}, "期间格式错误"),
    ({"period": "25"}, "期间格式错误"),
    ({"period": "2023"}, "自2024年起考核"),
    ({"target": 0}, "目标值应大于0"),
    ({"target": "-5"}, "目标值应大于0"),
    ({"target": "很多"}, "目标值应为数字"),
    ({"target": None}, "请填写目标值"),
    ({"actual": -1}, "实际值不能为负数"),
    ({"actual": "NaN"}, "有限的数字"),
    ({"actual": "1.00001"}, "小数位数"),
])
def test_kpi_value_validation(world, kw, text):
    ind = make_indicator(world)
    with pytest.raises(ValidationError) as exc:
        services.kpi_value_set(**{"actor": world.sec1, "indicator": ind, "period": "2025", "target": 100, **kw})
    assert text in messages(exc)
    assert not KpiValue.objects.exists() and not audit_rows("kpivalue").exists()


def test_kpi_value_permissions(world):
    ind = make_indicator(world)
    with pytest.raises(Http404):
        services.kpi_value_set(actor=world.outsider, indicator=ind, period="2025", target=1)
    with pytest.raises(Http404):
        services.kpi_value_set(actor=world.member1, indicator=ind, period="2025", target=1)
    assert services.kpi_value_set(actor=world.orgadmin, indicator=ind, period="2025", target=1).by == world.orgadmin


def test_permission_denied_for_a_visible_but_not_allowed_user(world, monkeypatch):
    """A user who sees the branch but may not manage it gets 403, not 404."""
    monkeypatch.setattr(services.records, "may_self_assess", lambda user, org: False)
    with pytest.raises(PermissionDenied):
        make_post(world)


def test_kpi_indicator_update(world):
    ind = make_indicator(world)
    services.kpi_indicator_update(actor=world.sec1, indicator=ind, name="装卸效率（吨）", coefficient=2,
                                  higher_is_better=False)
    ind.refresh_from_db()
    assert (ind.name, ind.coefficient, ind.higher_is_better, ind.code) == ("装卸效率（吨）", Decimal("2"), False, "eff")
    row = audit_rows("kpiindicator", AuditAction.UPDATE).get()
    assert row.before["coefficient"] == "1.50" and row.after["coefficient"] == "2.00"
    with pytest.raises(ValidationError):
        services.kpi_indicator_update(actor=world.sec1, indicator=ind, coefficient=-1)
    with pytest.raises(ValueError):
        services.kpi_indicator_update(actor=world.sec1, indicator=ind, code="other")
    with pytest.raises(Http404):
        services.kpi_indicator_update(actor=world.outsider, indicator=ind, name="改名")
    ind.refresh_from_db()
    assert ind.coefficient == Decimal("2")


def test_checklist_completion_feeds_the_branch_scheme(world):
    """Completing the branch's list moves the 达标创星 item “创建清单按期完成” (live, before any confirmation)."""
    first = make_item(world, feeds="basic_support.checklist")
    second = make_item(world, title="讲好一堂党课", due_on="2025-09-30")
    ev = services.evaluation_open(actor=world.sec1, scheme="dabiao-chuangxing", subject=world.b1, period="2025")

    def checklist_value():
        result = services.live_result_json(ev)
        return next(i["value"] for i in result["items"] if i["code"] == "basic_support.checklist")

    assert checklist_value() == 0
    services.checklist_item_complete(actor=world.sec1, item=first, done_on="2025-06-01", evidence="照片")
    assert checklist_value() == 0.5
    services.checklist_item_complete(actor=world.sec1, item=second, done_on="2025-10-08", evidence="讲稿")
    assert checklist_value() == 0.5  # done, but after its due date
    services.checklist_item_complete(actor=world.sec1, item=second, done_on="2025-09-01", evidence="讲稿")
    assert checklist_value() == 1
