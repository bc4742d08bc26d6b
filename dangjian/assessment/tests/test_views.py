"""The star card and its process (自评 → 提交 → 审核 → 认定, 退回, 重评), the overview, the review queue, the
exports, and who may open what."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from dangjian.assessment import services
from dangjian.assessment.models import Evaluation, EvaluationStatus, ItemScore
from dangjian.orgs import services as org_services
from dangjian.orgs.models import OrgKind

YEAR = dt.date.today().year
CARD = reverse("assessment_card", args=["B1"])
ITEM = "basic_org.integration"  # a reviewer item of 达标创星, max 3
OTHER = "basic_team.training"  # a reviewer item, max 4


def post(client, url, **data):
    return client.post(f"{url}?year={YEAR}", data)


def current(world) -> Evaluation:
    return Evaluation.objects.exclude(status=EvaluationStatus.SUPERSEDED).get(subject_key=f"org:{world.b1.pk}")


@pytest.mark.parametrize("who, code", [("admin", 200), ("orgadmin", 200), ("zz_admin", 200), ("sec1", 200),
                                       ("member1", 404), ("outsider", 404)])
def test_card_per_role(world, client, who, code):
    client.force_login(getattr(world, who))
    assert client.get(CARD, {"year": YEAR}).status_code == code
    assert client.get(reverse("assessment_approval_docx", args=["B1"]), {"year": YEAR}).status_code == code


def test_outsider_cannot_act_on_a_card(world, client):
    client.force_login(world.outsider)
    assert post(client, CARD, action="self_score", item=ITEM, points="3").status_code == 404
    assert not Evaluation.objects.exists()


def test_card_of_a_non_branch_is_404(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("assessment_card", args=["ZZ"])).status_code == 404


def test_live_card_explains_every_item(world, client):
    client.force_login(world.sec1)
    response = client.get(CARD, {"year": YEAR})
    card = response.context["card"]
    html = response.content.decode()
    assert card.live and card.evaluation is None
    assert [d["name"] for d in card.dimensions] == ["基本组织", "基本队伍", "基本活动", "基本作用", "基本制度", "基本保障"]
    assert [d["weight"] for d in card.dimensions] == [15, 15, 25, 20, 10, 15]
    assert len(card.items) == 24
    for item in card.items:
        assert f'data-item="{item["code"]}"' in html
        assert item["text"] or item["missing"] or item["reviewer"]
    assert "待评审：党建与生产经营融合" in html  # a reviewer item without a score says so
    assert 'id="radar"' in html and "未开始自评" in html
    assert response.context["can"]["self_score"] and not response.context["can"]["review"]
    assert card.score == sum(Decimal(str(d["points"])) for d in card.dimensions)


def test_whole_process_through_the_card(world, client):
    client.force_login(world.sec1)
    response = post(client, CARD, action="self_score", item=ITEM, points="3", evidence="党建工作责任制文件")
    assert response.status_code == 302
    e = current(world)
    assert e.status == EvaluationStatus.DRAFT
    assert ItemScore.objects.get(evaluation=e, item=ITEM, stage="self").evidence == "党建工作责任制文件"
    # out of range: a Chinese message, nothing saved
    response = client.post(f"{CARD}?year={YEAR}", {"action": "self_score", "item": OTHER, "points": "9"}, follow=True)
    assert "分值应在0至4分之间" in response.content.decode()
    assert not ItemScore.objects.filter(item=OTHER).exists()
    post(client, CARD, action="submit", note="按计划完成")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.SUBMITTED and e.self_note == "按计划完成"
    # the branch's own secretary cannot review it
    assert post(client, CARD, action="review_score", item=ITEM, points="2", note="x").status_code == 403

    client.force_login(world.zz_admin)
    page = client.get(CARD, {"year": YEAR})
    assert page.context["can"]["review_score"] and not page.context["can"]["self_score"]
    response = client.post(f"{CARD}?year={YEAR}", {"action": "review_score", "item": ITEM, "points": "2"},
                           follow=True)
    assert "须填写理由" in response.content.decode()
    assert not ItemScore.objects.filter(item=ITEM, stage="review").exists()
    post(client, CARD, action="review_score", item=ITEM, points="2", note="交叉任职未全部落实")
    post(client, CARD, action="review", note="同意")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.REVIEWED
    post(client, CARD, action="confirm")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.CONFIRMED and e.result

    response = client.get(CARD, {"year": YEAR})
    card = response.context["card"]
    html = response.content.decode()
    assert not card.live and card.status_label == "已认定"
    item = next(i for i in card.items if i["code"] == ITEM)
    assert item["points"] == 2 and item["self_score"]["points"] == 3 and item["review_score"]["points"] == 2
    assert "交叉任职未全部落实" in html and "党建工作责任制文件" in html
    assert Decimal(str(card.score)) == e.score and card.level == e.level
    assert response.context["can"]["reevaluate"] and not response.context["can"]["confirm"]


def _confirm(world, client):
    e = services.evaluation_open(actor=world.sec1, scheme="dabiao-chuangxing", subject=world.b1, period=str(YEAR))
    services.item_score_set(actor=world.sec1, evaluation=e, item=ITEM, points=3, stage="self")
    services.evaluation_submit(actor=world.sec1, evaluation=e)
    services.evaluation_review(actor=world.orgadmin, evaluation=e)
    return services.evaluation_confirm(actor=world.orgadmin, evaluation=e)


def test_confirmed_card_does_not_follow_later_records(world, client):
    e = _confirm(world, client)
    client.force_login(world.sec1)
    before = client.get(CARD, {"year": YEAR}).context["card"]
    # a checklist item done in time would raise 基本保障 in a live evaluation
    item = services.checklist_item_create(actor=world.sec1, org=world.b1, year=YEAR, title="建阵地",
                                          due_on=dt.date(YEAR, 12, 31))
    services.checklist_item_complete(actor=world.sec1, item=item, done_on=dt.date(YEAR, 1, 1)
                                     if dt.date.today() >= dt.date(YEAR, 1, 1) else dt.date.today(), evidence="照片")
    after = client.get(CARD, {"year": YEAR}).context["card"]
    assert after.score == before.score == float(e.score) or Decimal(str(after.score)) == e.score
    assert [i["points"] for i in after.items] == [i["points"] for i in before.items]


def test_reevaluation_makes_a_new_version_and_keeps_the_old(world, client):
    e = _confirm(world, client)
    client.force_login(world.orgadmin)
    response = client.post(f"{CARD}?year={YEAR}", {"action": "reevaluate", "note": ""}, follow=True)
    assert "请填写理由" in response.content.decode()
    post(client, CARD, action="reevaluate", note="发现漏报的违纪案件")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.SUPERSEDED
    new = current(world)
    assert new.version == 2 and new.status == EvaluationStatus.DRAFT
    response = client.get(CARD, {"year": YEAR})
    assert [v.version for v in response.context["versions"]] == [2, 1]
    assert "发现漏报的违纪案件" in response.content.decode()
    old = client.get(CARD, {"year": YEAR, "version": 1})
    assert old.context["card"].evaluation == e and not old.context["card"].live
    assert not old.context["can"]["any"]


def test_return_needs_a_reason(world, client):
    e = services.evaluation_open(actor=world.sec1, scheme="dabiao-chuangxing", subject=world.b1, period=str(YEAR))
    services.evaluation_submit(actor=world.sec1, evaluation=e)
    client.force_login(world.zz_admin)
    post(client, CARD, action="return", note="")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.SUBMITTED
    post(client, CARD, action="return", note="佐证不足")
    e.refresh_from_db()
    assert e.status == EvaluationStatus.DRAFT and e.return_note == "佐证不足"


def test_veto_through_the_card(world, client):
    client.force_login(world.sec1)
    post(client, CARD, action="veto", veto="discipline_case", reason="党员张某受留党察看处分", on="1")
    card = client.get(CARD, {"year": YEAR}).context["card"]
    assert card.vetoed and card.level == "不达标"
    assert card.vetoes[0]["name"] == "党员发生严重违纪违法案件"


def test_approval_docx_is_the_card(world, client):
    _confirm(world, client)
    client.force_login(world.orgadmin)
    response = client.get(reverse("assessment_approval_docx", args=["B1"]), {"year": YEAR})
    assert response["Content-Disposition"].startswith("attachment")
    assert "%E8%AF%84%E6%98%9F%E5%AE%9A%E7%BA%A7%E5%AE%A1%E6%89%B9%E8%A1%A8" in response["Content-Disposition"]
    doc = Document(BytesIO(response.content))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    card = client.get(CARD, {"year": YEAR}).context["card"]
    assert "装卸一队党支部" in text and card.level in text and "港务党总支" in text


# --- member cards -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, own, code", [("member1", True, 200), ("member1", False, 404), ("sec1", False, 200),
                                            ("outsider", True, 404), ("zz_admin", True, 200)])
def test_member_card_scope(world, client, who, own, code):
    client.force_login(getattr(world, who))
    target = world.member if own else world.sec_member
    assert client.get(reverse("assessment_member_card", args=[target.pk]), {"year": YEAR}).status_code == code


def test_plain_member_lands_on_their_own_card(world, client):
    client.force_login(world.member1)
    response = client.get(reverse("assessment_overview"))
    assert response.status_code == 302 and response["Location"] == reverse("assessment_mine")
    response = client.get(reverse("assessment_mine"), follow=True)
    card = response.context["card"]
    assert card.subject_name == "李党员" and card.scheme["code"] == "shuangbai-member"
    assert not response.context["can"]["any"]
    assert client.get(reverse("assessment_export"), {"year": YEAR}).status_code == 404
    assert client.get(reverse("assessment_queue")).status_code == 404


# --- overview, export, queue ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, org, code", [("admin", "ROOT", 200), ("orgadmin", "", 200), ("zz_admin", "ZZ", 200),
                                            ("zz_admin", "B2", 404), ("sec1", "", 200), ("outsider", "B1", 404)])
def test_overview_and_export_per_role(world, client, who, org, code):
    client.force_login(getattr(world, who))
    params = {"year": YEAR, **({"org": org} if org else {})}
    assert client.get(reverse("assessment_overview"), params).status_code == code
    assert client.get(reverse("assessment_export"), params).status_code == code


def test_overview_ranks_and_counts_levels(world, client):
    _confirm(world, client)
    client.force_login(world.orgadmin)
    response = client.get(reverse("assessment_overview"), {"year": YEAR})
    rows = response.context["page"].object_list
    assert {r["code"] for r in rows} == {"B1", "B2"}
    assert [r["rank"] for r in rows] == [1, 2] or rows[0]["score"] == rows[1]["score"]
    b1 = next(r for r in rows if r["code"] == "B1")
    assert not b1["live"] and b1["url"].startswith(CARD)
    assert sum(d["count"] for d in response.context["distribution"]) == 2
    assert 'id="levels-chart"' in response.content.decode()


def test_overview_queries_do_not_grow_with_branches(world, client):
    client.force_login(world.admin)
    url = reverse("assessment_overview")
    client.get(url, {"year": YEAR})
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"year": YEAR})
    for i in range(4):
        org_services.org_create(actor=None, parent=world.zz, code=f"BX{i}", name=f"新支部{i}", kind=OrgKind.BRANCH)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"year": YEAR})
    assert response.context["total"] == 6
    assert len(large.captured_queries) == len(small.captured_queries)


def test_export_agrees_with_the_overview(world, client):
    _confirm(world, client)
    client.force_login(world.orgadmin)
    rows = client.get(reverse("assessment_overview"), {"year": YEAR}).context["page"].object_list
    response = client.get(reverse("assessment_export"), {"year": YEAR})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content))["考核结果"]
    sheet = {r[1]: (r[0], r[-5], r[-4]) for r in ws.iter_rows(min_row=2, values_only=True)}
    for r in rows:
        assert sheet[r["code"]] == (r["rank"], float(r["score"]), r["level"])


def test_queue_for_the_level_above(world, client):
    e = services.evaluation_open(actor=world.sec1, scheme="dabiao-chuangxing", subject=world.b1, period=str(YEAR))
    services.evaluation_submit(actor=world.sec1, evaluation=e)
    url = reverse("assessment_queue")
    for who in ("zz_admin", "orgadmin", "admin"):
        client.force_login(getattr(world, who))
        response = client.get(url)
        assert [x.pk for x in response.context["page"].object_list] == [e.pk]
        assert response.context["page"].object_list[0].url.startswith(CARD)
    for who in ("sec1", "outsider", "member1"):
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 404
    client.force_login(world.zz_admin)
    assert "没有等待您审核" in client.get(url, {"status": "reviewed"}).content.decode()


def test_records_behind_an_item_are_linked(world):
    from dangjian.assessment.views.common import record_links
    from dangjian.compliance.tests.test_facts_cli import held
    from dangjian.meetings.models import ActivityKind

    a = held(world, world.b1, ActivityKind.THEME_DAY, dt.date(YEAR, 1, 20), "ZT-1", [world.member])
    b2 = held(world, world.b2, ActivityKind.THEME_DAY, dt.date(YEAR, 1, 20), "ZT-2", [world.b2_member])
    links = dict(record_links(["ZT-1", "ZT-2", "task:7", "checklist:3", "team:T1", "ZB-SIZE:2026", "points:5"],
                              world.b1, YEAR))
    assert links["ZT-1"] == reverse("activity_detail", args=[a.pk])
    assert links["ZT-2"] is None and b2.pk  # another branch's activity is not linked from this card
    assert links["整改任务#7"] == reverse("rectification_detail", args=[7])
    assert links["清单事项#3"].endswith("#cl-3")
    assert links["班组 T1"].startswith(reverse("assessment_team_card", args=["T1"]))
    assert links["检查问题 ZB-SIZE 2026"].startswith(reverse("compliance_branch", args=["B1"]))
    assert "积分台账" in links


def test_member_cannot_score_their_own_card(world, client):
    client.force_login(world.member1)
    url = reverse("assessment_member_card", args=[world.member.pk])
    response = client.post(f"{url}?year={YEAR}", {"action": "self_score", "item": "duty.duty", "points": "20"})
    assert response.status_code in (403, 404)
    assert not Evaluation.objects.exists()


def test_mine_needs_a_linked_member(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("assessment_mine")).status_code == 404


def test_card_switches_between_branch_schemes(world, client):
    client.force_login(world.sec1)
    response = client.get(CARD, {"year": YEAR, "scheme": "shuangbai-branch"})
    assert response.context["card"].scheme["code"] == "shuangbai-branch"
    assert [d["name"] for d in response.context["card"].dimensions][:2] == ["组织设置", "队伍建设"]
    response = client.get(CARD, {"year": YEAR, "scheme": "wuhao-banzu"})
    assert response.context["card"].scheme["code"] == "dabiao-chuangxing"
    assert "不适用于该对象" in response.content.decode()
    response = client.get(CARD, {"year": "20x6"})
    assert "年度“20x6”无效" in response.content.decode()
