"""One evaluation, many views: the overview page, the star card, GET /api/assessment, `evaluate --json` and the
Excel export show the same scores, levels and dimension points — for a confirmed (frozen) branch whose records
changed after the confirmation, and for a live branch with a veto."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from dangjian.assessment import services

from .test_cli import SCHEME, YEAR, cli_json, confirm

DIMENSIONS = ["基本组织", "基本队伍", "基本活动", "基本作用", "基本制度", "基本保障"]
PARAMS = {"scheme": SCHEME, "org": "ROOT", "year": str(YEAR)}


@pytest.fixture
def records(world):
    w = world
    b1 = services.evaluation_open(actor=w.sec1, scheme=SCHEME, subject=w.b1, period=str(YEAR))
    for item, points in (("basic_org.integration", 3), ("basic_team.training", "3.5"), ("basic_role.business", 4)):
        services.item_score_set(actor=w.sec1, evaluation=b1, item=item, points=points, evidence="台账")
    item = services.checklist_item_create(actor=w.sec1, org=w.b1, year=YEAR, title="创建党员先锋岗",
                                          due_on=dt.date(YEAR, 3, 31), feeds="basic_support.checklist")
    w.b1_ev = confirm(w, b1)
    # after the confirmation the records change (the list item is done after all): the frozen result must stay
    # what every view shows
    services.checklist_item_complete(actor=w.sec1, item=item, done_on=dt.date(YEAR, 3, 20), evidence="挂牌照片")
    b2 = services.evaluation_open(actor=w.outsider, scheme=SCHEME, subject=w.b2, period=str(YEAR))
    services.item_score_set(actor=w.outsider, evaluation=b2, item="basic_support.brand", points=5, evidence="材料")
    services.veto_set(actor=w.outsider, evaluation=b2, veto="discipline_case", reason="党员严重违纪被开除党籍")
    return w


def _num(value) -> float:
    return round(float(value), 2)


def from_json(data: dict) -> dict[str, tuple]:
    return {r["subject"]: (_num(r["score"]), r["level"], r["vetoed"], [_num(r["dimensions"][d]) for d in DIMENSIONS])
            for r in data["results"]}


def from_page(client) -> dict[str, tuple]:
    response = client.get("/assessment/", PARAMS)
    assert response.status_code == 200
    html = response.content.decode()
    out = {}
    for row in response.context["page"].object_list:
        assert row["level"] in html
        out[row["code"]] = (_num(row["score"]), row["level"], bool(row["vetoed"]), [_num(x) for x in row["dimensions"]])
    return out


def from_card(client, code: str) -> tuple:
    response = client.get(f"/assessment/card/{code}/", {"year": str(YEAR)})
    assert response.status_code == 200
    card = response.context["card"]
    dims = card.result["dimensions"]
    return _num(card.score), card.level, card.vetoed, [_num(dims[d]) for d in DIMENSIONS]


def from_excel(client) -> dict[str, tuple]:
    response = client.get("/assessment/export.xlsx", PARAMS)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content))["考核结果"]
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[0])
    col = {name: head.index(name) for name in ("编码", "总分", "等级", "一票否决", *DIMENSIONS)}
    return {r[col["编码"]]: (_num(r[col["总分"]]), r[col["等级"]], r[col["一票否决"]] == "是",
                            [_num(r[col[d]]) for d in DIMENSIONS]) for r in rows[1:]}


def test_page_api_cli_excel_agree(records, client):
    w = records
    cli = cli_json()
    client.force_login(w.orgadmin)
    api = client.get("/api/assessment", PARAMS).json()
    assert api == cli
    expected = from_json(cli)
    assert set(expected) == {"B1", "B2"}
    assert from_page(client) == expected
    assert from_excel(client) == expected
    for code in ("B1", "B2"):
        assert from_card(client, code) == expected[code]

    # B1 shows its frozen result (not the live one, which has moved with the records since)
    b1 = next(r for r in cli["results"] if r["subject"] == "B1")
    assert b1["live"] is False and expected["B1"][:2] == (_num(w.b1_ev.score), w.b1_ev.level)
    live = services.live_result_json(w.b1_ev)
    assert _num(live["score"]) > expected["B1"][0]
    # B2 is live, vetoed: 不达标 whatever its score
    assert expected["B2"][1:3] == ("不达标", True)


def test_branch_officer_sees_the_same_for_their_branch(records, client):
    client.force_login(records.sec1)
    cli = from_json(cli_json("B1"))
    response = client.get("/api/assessment", {**PARAMS, "org": "B1"})
    assert from_json(response.json()) == cli
    assert from_card(client, "B1") == cli["B1"]
