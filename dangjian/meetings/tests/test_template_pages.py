"""The template pages: who may see and customize them, and what customizing does."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditAction, AuditEntry
from dangjian.meetings import services
from dangjian.meetings.forms_templates import TemplateCustomizeForm, text_to_steps, text_to_tags
from dangjian.meetings.models import Activity, ActivityKind, TemplateVersion
from dangjian.meetings.worktemplates import default_templates, effective_template

LIST = reverse("template_list")


def detail(kind="party_lecture"):
    return reverse("template_detail", args=[kind])


def customize(kind="party_lecture"):
    return reverse("template_customize", args=[kind])


def form_data(kind="party_lecture", **changes) -> dict:
    """What the customize form posts when the user changes nothing but the given fields."""
    initial = TemplateCustomizeForm.initial_from(default_templates()[kind])
    data = {k: ("on" if v is True else "" if v in (None, False) else v) for k, v in initial.items()}
    data["effective_from"] = timezone.localdate().isoformat()
    data["note"] = "按集团规定调整"
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- who gets what ------------------------------------------------------------------------------------------

ROLES = ["admin", "orgadmin", "zz_admin", "sec1", "member1", "outsider"]


@pytest.mark.parametrize("role", ROLES)
def test_everyone_signed_in_may_read_the_list_and_a_template(client, world, role):
    assert get_as(client, getattr(world, role), LIST).status_code == 200
    response = client.get(detail())
    assert response.status_code == 200
    assert "党课" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, world):
    for url in (LIST, detail(), customize()):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(("role", "org", "status"), [
    ("admin", "", 200), ("admin", "B1", 200),
    ("orgadmin", "", 200), ("orgadmin", "B1", 200), ("orgadmin", "B2", 200),
    ("zz_admin", "", 200), ("zz_admin", "B1", 200), ("zz_admin", "B2", 404), ("zz_admin", "ROOT", 404),
    ("sec1", "", 403), ("sec1", "B1", 403), ("sec1", "G1", 403), ("sec1", "B2", 404),
    ("member1", "", 404), ("member1", "B1", 404),
    ("outsider", "", 403), ("outsider", "B1", 404),
])
def test_customize_is_for_org_admins(client, world, role, org, status):
    url = customize() + (f"?org={org}" if org else "")
    assert get_as(client, getattr(world, role), url).status_code == status


def test_unknown_template_is_404(client, world):
    client.force_login(world.admin)
    assert client.get(detail("tea_party")).status_code == 404
    assert client.get(customize("tea_party")).status_code == 404


def test_member_posting_to_customize_gets_404_and_nothing_saved(client, world):
    client.force_login(world.member1)
    assert client.post(customize() + "?org=B1", form_data()).status_code == 404
    client.force_login(world.sec1)
    assert client.post(customize() + "?org=B1", form_data()).status_code == 403
    assert not TemplateVersion.objects.exists()


# --- the list ---------------------------------------------------------------------------------------------


def test_list_shows_the_thirteen_in_plain_chinese(client, world, django_assert_max_num_queries):
    client.force_login(world.sec1)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    html = response.content.decode()
    assert response.context["org"] == world.b1
    assert len(response.context["cards"]) == 13
    for kind in ActivityKind:
        assert kind.label in html
    assert "每月1次" in html and "每季度1次" in html and "每年1次" in html and "不定期" in html
    assert html.count("⚠ 地方做法，可调整") == 1  # 党课
    assert "有表决权的党员到会须超过半数" in html and "应到的支部委员到会须超过半数" in html
    assert "标准模板 2018.1" in html


def test_list_org_choice(client, world):
    client.force_login(world.orgadmin)
    assert client.get(LIST).context["org"] == world.root
    assert client.get(LIST + "?org=B1").context["org"] == world.b1
    assert client.get(LIST + "?org=装卸一队党支部").context["org"] == world.b1  # by unique name too
    client.force_login(world.zz_admin)
    response = client.get(LIST + "?org=B2")  # outside the scope: not shown, said so
    assert response.context["org"] == world.zz and response.context["choice"].missing
    assert "未找到组织“B2”" in response.content.decode()
    client.force_login(world.member1)
    assert client.get(LIST).context["org"] == world.b1  # a member sees their own branch's templates
    assert client.get(LIST + "?org=B2").context["org"] == world.b1


def test_list_shows_the_version_in_force(client, world):
    TemplateVersion.objects.create(kind="party_lecture", org=world.zz, effective_from=dt.date(2024, 1, 1),
                                   content={**default_templates()["party_lecture"],
                                            "frequency": {"period": "half_year", "times": 1, "local": True}})
    client.force_login(world.sec1)
    html = client.get(LIST).content.decode()
    assert "港务党总支版本（2024-01-01起）" in html and "每半年1次" in html and "本单位版本" in html
    client.force_login(world.outsider)
    assert "港务党总支版本" not in client.get(LIST).content.decode()


# --- the detail page --------------------------------------------------------------------------------------


def test_detail_teaches_the_procedure(client, world):
    client.force_login(world.sec1)
    response = client.get(detail("branch_assembly"))
    html = response.content.decode()
    t = default_templates()["branch_assembly"]
    for label in ("定时间", "定内容", "定议程", "定标准", "定效果"):
        assert label in html
    for step in t["steps"]:
        assert step["title"] in html
    assert "有表决权的党员到会须超过半数" in html and "预备党员可以参加会议，但没有表决权" in html
    assert "主持人、记录人" in html and "签到表、会议记录、现场照片" in html
    assert "第十一条" in html  # the source clause
    assert t["guide"].splitlines()[0] in html
    plan = reverse("activity_create") + "?kind=branch_assembly&amp;org=B1"
    assert "按此模板安排活动" in html and plan in html


def test_detail_follow_ups_and_tags(client, world):
    client.force_login(world.sec1)
    html = client.get(detail("member_appraisal")).content.decode()
    assert "优秀/合格/基本合格/不合格" in html and "三分之一" in html
    html = client.get(detail("life_meeting")).content.decode()
    assert "形成整改清单，逐项销号" in html
    html = client.get(detail("theme_day")).content.decode()
    assert "党建+安全" in html
    html = client.get(detail("campaign")).content.decode()
    assert "有方案" in html and "有实效" in html


def test_member_reads_but_cannot_plan_or_customize(client, world):
    client.force_login(world.member1)
    html = client.get(detail()).content.decode()
    assert "按此模板安排活动" not in html and "调整本单位版本" not in html
    client.force_login(world.sec1)
    html = client.get(detail()).content.decode()
    assert "按此模板安排活动" in html and "调整本单位版本" not in html
    client.force_login(world.zz_admin)
    assert "调整本单位版本" in client.get(detail()).content.decode()


def test_detail_on_a_committee_links_planning_without_org(client, world):
    client.force_login(world.orgadmin)
    html = client.get(detail()).content.decode()
    assert f'href="{reverse("activity_create")}?kind=party_lecture"' in html


def test_detail_shows_history_and_a_past_date(client, world):
    old = TemplateVersion.objects.create(kind="party_lecture", org=world.root, effective_from=dt.date(2024, 1, 1),
                                         content={**default_templates()["party_lecture"], "guide": "旧的指引。\n"},
                                         note="集团旧规定")
    new = TemplateVersion.objects.create(kind="party_lecture", org=world.zz, effective_from=dt.date(2025, 1, 1),
                                         content={**default_templates()["party_lecture"], "guide": "新的指引。\n"},
                                         note="总支规定")
    client.force_login(world.sec1)
    response = client.get(detail())
    assert response.context["template"].version_id == new.pk
    states = {r.version.pk: r.state for r in response.context["history"]}
    assert states == {old.pk: "replaced", new.pk: "current"}
    html = response.content.decode()
    assert "集团旧规定" in html and "总支规定" in html and "新的指引" in html
    response = client.get(detail() + "?on=2024-06-01")
    assert response.context["template"].version_id == old.pk and "旧的指引" in response.content.decode()


# --- customizing -------------------------------------------------------------------------------------------


def test_customize_form_starts_from_the_version_in_force(client, world):
    client.force_login(world.zz_admin)
    response = client.get(customize() + "?org=B1")
    form = response.context["form"]
    assert form.initial["period"] == "quarter" and form.initial["times"] == 1
    assert form.initial["steps"].splitlines()[0].startswith("确定题目和讲课人：")
    assert "excellent_max_ratio" not in form.fields
    assert "excellent_max_ratio" in client.get(customize("member_appraisal") + "?org=B1").context["form"].fields


def test_customizing_creates_the_version_in_force_for_the_subtree(client, world):
    today = timezone.localdate()
    client.force_login(world.zz_admin)
    data = form_data(period="half_year", times="1", steps="确定题目：支委会研究\n备课\n\n讲授党课：联系实际\n交流讨论",
                     hint_time="每半年一次", tags="", note="按集团《三会一课实施办法》每半年1次")
    response = client.post(customize() + "?org=ZZ", data)
    assert response.status_code == 302
    assert response["Location"] == detail() + "?org=ZZ"
    version = TemplateVersion.objects.get()
    assert (version.org, version.kind, version.effective_from, version.created_by) == (
        world.zz, "party_lecture", today, world.zz_admin)
    assert version.note == "按集团《三会一课实施办法》每半年1次"
    assert version.content["frequency"]["period"] == "half_year"
    assert [s["title"] for s in version.content["steps"]] == ["确定题目", "备课", "讲授党课", "交流讨论"]
    assert version.content["steps"][0]["detail"] == "支委会研究"
    assert version.content["quorum"] is None and version.content["holder"] == ["branch"]
    # in force for the subtree from its date, not elsewhere, not before
    for org in (world.zz, world.b1, world.g1):
        assert effective_template("party_lecture", org, today).version_id == version.pk
    assert effective_template("party_lecture", world.b2, today).is_standard
    assert effective_template("party_lecture", world.b1, today - dt.timedelta(days=1)).is_standard
    client.force_login(world.sec1)
    html = client.get(LIST).content.decode()
    assert "每半年1次" in html and f"港务党总支版本（{today:%Y-%m-%d}起）" in html


def test_customizing_from_a_future_date(client, world):
    today = timezone.localdate()
    later = today + dt.timedelta(days=30)
    client.force_login(world.orgadmin)
    response = client.post(customize("theme_day") + "?org=ROOT",
                           form_data("theme_day", effective_from=later.isoformat(), times="2",
                                     tags="安全、党建+业务，创新"))
    assert response.status_code == 302
    version = TemplateVersion.objects.get()
    assert version.content["tags"] == ["安全", "业务", "创新"]
    assert effective_template("theme_day", world.b1, today).is_standard
    assert effective_template("theme_day", world.b1, later).version_id == version.pk
    states = {r.version.pk: r.state for r in client.get(detail("theme_day") + "?org=B1").context["history"]}
    assert states == {version.pk: "future"}


def test_customizing_writes_an_audit_entry(client, world):
    client.force_login(world.zz_admin)
    client.post(customize() + "?org=B1", form_data(times="2"))
    version = TemplateVersion.objects.get()
    entry = AuditEntry.objects.get(object_type="templateversion", object_id=str(version.pk))
    assert entry.action == AuditAction.CREATE and entry.actor == world.zz_admin
    assert entry.org_path == world.b1.path
    assert entry.after["org"] == "B1" and entry.after["content"]["frequency"]["times"] == 2


@pytest.mark.parametrize(("kind", "changes", "field", "message"), [
    ("party_lecture", {"times": "0"}, "times", "每个周期次数：定期开展的工作至少1次"),
    ("party_lecture", {"steps": "确定题目\n：没有标题的说明"}, "steps", "流程步骤第2项：每个步骤须有标题"),
    ("party_lecture", {"steps": "讲授党课\n讲授党课"}, "steps", "步骤“讲授党课”重复"),
    ("party_lecture", {"effective_from": "2000-01-01"}, "effective_from", "生效日期不能早于今天"),
    ("party_lecture", {"note": ""}, "note", "这个字段是必填项。"),
    ("party_lecture", {"times": "两次"}, "times", "输入整数。"),
    ("member_appraisal", {"excellent_max_ratio": "1.5"}, "excellent_max_ratio", "不超过1"),
    ("member_appraisal", {"excellent_max_ratio": ""}, "excellent_max_ratio", "这个字段是必填项。"),
])
def test_invalid_input_saves_nothing(client, world, kind, changes, field, message):
    client.force_login(world.orgadmin)
    data = form_data(kind, **changes)
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post(customize(kind) + "?org=B1", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert "未能保存" in response.content.decode()
    assert not TemplateVersion.objects.exists()
    assert not AuditEntry.objects.filter(object_type="templateversion").exists()


def test_same_org_and_date_twice_is_refused(client, world):
    client.force_login(world.orgadmin)
    assert client.post(customize() + "?org=B1", form_data(times="2")).status_code == 302
    response = client.post(customize() + "?org=B1", form_data(times="3"))
    assert "请换一个日期" in " ".join(response.context["form"].errors["effective_from"])
    assert TemplateVersion.objects.count() == 1


def test_service_refuses_changes_to_rules_set_by_party_regulations(world):
    content = {**default_templates()["branch_assembly"], "quorum": None}
    with pytest.raises(Exception) as info:
        services.template_version_create(actor=world.admin, org=world.b1, kind="branch_assembly",
                                         effective_from=timezone.localdate(), content=content)
    assert "到会人数要求按规定确定" in str(info.value)
    assert not TemplateVersion.objects.exists()


def test_delete_a_version_not_yet_used(client, world):
    client.force_login(world.orgadmin)
    client.post(customize() + "?org=B1", form_data(times="2"))
    version = TemplateVersion.objects.get()
    client.force_login(world.sec1)  # a branch secretary may not delete
    assert client.post(customize() + "?org=B1", {"delete": version.pk}).status_code == 403
    client.force_login(world.orgadmin)
    response = client.post(customize() + "?org=B1", {"delete": version.pk})
    assert response.status_code == 302 and not TemplateVersion.objects.exists()
    entry = AuditEntry.objects.get(object_type="templateversion", action=AuditAction.DELETE)
    assert entry.object_id == str(version.pk) and entry.before["org"] == "B1"


def test_a_version_activities_were_planned_under_stays(client, world):
    client.force_login(world.orgadmin)
    client.post(customize() + "?org=B1", form_data(times="2"))
    version = TemplateVersion.objects.get()
    Activity.objects.create(code="B1-X-01", org=world.b1, top_org=world.root, kind="party_lecture", title="党课",
                            starts_at=timezone.now() + dt.timedelta(days=1))
    response = client.post(customize() + "?org=B1", {"delete": version.pk}, follow=True)
    assert "不能删除" in response.content.decode()
    assert TemplateVersion.objects.filter(pk=version.pk).exists()


def test_form_parsing_helpers():
    assert text_to_steps(" 确定议题：书记提出 \n\n签到\n表决: 举手") == [
        {"title": "确定议题", "detail": "书记提出"}, {"title": "签到"}, {"title": "表决", "detail": "举手"}]
    assert text_to_tags("安全、业务, 党建+共建 安全") == ["安全", "业务", "共建"]
