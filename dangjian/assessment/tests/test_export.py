"""The exports: the Excel ranking (one row per subject, rank with ties and vetoes last) and the Word
评星定级审批表 (branch, score and level, dimension and item tables, the three opinions with signature lines)."""

import datetime as dt
from io import BytesIO

from docx import Document
from openpyxl import load_workbook

from dangjian.assessment.export import ranked, write_approval, write_results
from dangjian.assessment.views.common import build_card

SCHEME = {
    "code": "dabiao-chuangxing", "name": "党支部达标创星", "version": "2026.1", "subject": "branch", "total": 100,
    "veto_level": "不达标",
    "dimensions": {"basic_org": {"code": "basic_org", "name": "基本组织", "weight": 15, "items": {
        "committee": {"code": "committee", "name": "支部委员会设置健全", "max": 5, "metric": "committee_complete"},
        "work": {"code": "work", "name": "工作作风", "max": 10, "reviewer": True}}}},
    "vetoes": {"discipline_case": {"name": "党员发生严重违纪违法案件"}},
    "levels": [{"name": "五星", "min": 95}, {"name": "不达标", "min": 0, "below": 60}],
}


def result(code, name, score, level, vetoed=False, passed=True, live=True):
    return {
        "subject": {"kind": "branch", "id": 1, "code": code, "name": name, "org_name": name},
        "score": score, "level": level, "vetoed": vetoed, "passed": passed, "live": live,
        "dimensions": {"基本组织": score * 0.15}, "missing": [],
        "dimension_details": [{"code": "basic_org", "name": "基本组织", "points": 12.5, "weight": 15}],
        "items": [
            {"code": "basic_org.committee", "dimension": "基本组织", "name": "支部委员会设置健全", "max": 5,
             "how": "自动", "metric": "committee_complete", "value": True, "text": "委员3人，书记已配备",
             "points": 5, "auto_points": 5, "records": [], "missing": None, "reviewer": None},
            {"code": "basic_org.work", "dimension": "基本组织", "name": "工作作风", "max": 10, "how": "评审",
             "metric": None, "value": None, "text": "", "points": 7.5, "auto_points": None, "records": [],
             "missing": None, "reviewer": {"points": 7.5, "stage": "review", "by": "组织部", "note": "台账不全",
                                           "evidence": ""}},
        ],
        "vetoes": [{"code": "discipline_case", "reason": "张某受处分", "by": "组织部"}] if vetoed else [],
    }


def test_ranking_ties_share_a_rank():
    rows = [result("A", "甲", 80, "三星"), result("B", "乙", 92, "不达标", vetoed=True, passed=False),
            result("C", "丙", 80, "三星"), result("D", "丁", 95, "五星")]
    assert [(rank, r["subject"]["code"]) for rank, r in ranked(rows)] == [(1, "D"), (2, "B"), (3, "A"), (3, "C")]


def as_json(r, rank):
    """A result in the form selectors.to_json gives it."""
    s = r["subject"]
    return {**r, "subject": s["code"], "subject_name": s["name"], "subject_key": f"org:{s['id']}",
            "org": s["org_name"], "rank": rank}


def test_excel_has_one_row_per_subject_with_dimensions_and_items():
    data = {"scheme": "dabiao-chuangxing", "org": "ROOT", "year": 2026,
            "results": [as_json(result("B2", "机关党支部", 96, "不达标", vetoed=True, passed=False, live=False), 1),
                        as_json(result("B1", "装卸一队党支部", 80, "三星"), 2)]}
    buffer = BytesIO()
    write_results(buffer, data, "党支部达标创星")
    wb = load_workbook(BytesIO(buffer.getvalue()))
    ws = wb["考核结果"]
    header = [c.value for c in ws[1]]
    assert header == ["排名", "编码", "名称", "所属组织", "基本组织", "总分", "等级", "一票否决", "达标", "结果状态"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[0][:3] == [1, "B2", "机关党支部"] and rows[0][6:] == ["不达标", "是", "否", "已认定"]
    assert rows[1][:3] == [2, "B1", "装卸一队党支部"] and rows[1][5:] == [80, "三星", "否", "是", "实时计算"]
    items = [[c.value for c in row] for row in wb["考核项明细"].iter_rows(min_row=2)]
    assert len(items) == 4
    assert items[3][:6] == ["B1", "装卸一队党支部", "基本组织", "工作作风", 10, 7.5]
    assert items[3][8] == "台账不全"


def test_excel_of_an_empty_scope_says_so():
    buffer = BytesIO()
    write_results(buffer, {"scheme": "x", "org": "ROOT", "year": 2026, "results": []})
    ws = load_workbook(BytesIO(buffer.getvalue()))["考核结果"]
    assert ws["A2"].value == "（该范围内没有考核对象）"


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_word_approval_form_has_everything_a_party_office_files():
    card = build_card(scheme=SCHEME, result=result("B1", "装卸一队党支部", 92, "不达标", vetoed=True, passed=False),
                      evaluation=None, live=True, year=2026, period="2026")
    card.parent_name = "港务党总支"
    buffer = BytesIO()
    write_approval(card, buffer)
    doc = Document(BytesIO(buffer.getvalue()))
    text = _text(doc)
    assert "党支部达标创星评星定级审批表" in text
    for expected in ("装卸一队党支部", "港务党总支", "92分（满分100）", "不达标", "一票否决",
                     "党员发生严重违纪违法案件：张某受处分", "基本组织", "支部委员会设置健全", "委员3人，书记已配备",
                     "评审7.5分", "理由：台账不全", "党支部\n自评意见", "上级党组织\n审核意见", "党委\n认定意见",
                     "党支部书记（签字）", "审核人（签字）", "负责人（签字）", "年　　月　　日"):
        assert expected in text, expected
    assert len(doc.tables) == 4  # the form, dimensions, items, opinions
    assert len(doc.tables[2].rows) == 3  # header + two items


def test_word_fills_the_opinions_from_the_evaluation(world):
    from dangjian.assessment.models import Evaluation, EvaluationStatus

    now = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.UTC)
    e = Evaluation(scheme="dabiao-chuangxing", subject_kind="branch", subject_key=f"org:{world.b1.pk}",
                   org=world.b1, top_org=world.root, period="2026", year=2026, version=2,
                   status=EvaluationStatus.CONFIRMED, self_note="各项工作按计划完成", review_note="同意",
                   submitted_by=world.sec1, submitted_at=now, reviewed_by=world.orgadmin, reviewed_at=now,
                   confirmed_by=world.orgadmin, confirmed_at=now)
    card = build_card(scheme=SCHEME, result=result("B1", "装卸一队党支部", 96, "五星"), evaluation=e, live=False,
                      year=2026, period="2026")
    buffer = BytesIO()
    write_approval(card, buffer)
    text = _text(Document(BytesIO(buffer.getvalue())))
    assert "各项工作按计划完成" in text and "同意认定为“五星”。" in text
    assert "系统记录：sec1，2026年12月20日" in text and "系统记录：组织部，2026年12月20日" in text
    assert "已认定（第2版）" in text
