"""Exports of assessment results: the Excel ranking (one row per subject) and the Word 评星定级审批表 of a branch.

Both read the same shapes as the pages: the Excel one the `to_json` dict of the selectors (the JSON that the CLI
and the API print), the Word one the card of one subject (views.common.Card), so that they agree with the pages.
"""

import datetime as dt
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dangjian.meetings.documents.docx import (
    HEADING_FONT,
    LABEL_SHADE,
    _new_document,
    _paragraph,
    _table,
    _tc,
    _tr,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


def ranked(results: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Competition ranking (1, 2, 2, 4) by score, highest first — as selectors.rank_rows ranks."""
    def score(r):
        return _number(r.get("score")) or 0.0

    out: list[tuple[int, dict[str, Any]]] = []
    for i, r in enumerate(sorted(results, key=lambda r: -score(r)), 1):
        out.append((out[-1][0] if out and score(out[-1][1]) == score(r) else i, r))
    return out


def _subject_cells(r: dict[str, Any]) -> list[str]:
    """编码, 名称, 所属组织 of a result of `to_json` (subject: the code of a branch or team, else the name)."""
    subject = r.get("subject")
    if isinstance(subject, dict):  # the result_json form
        return [str(subject.get("code") or ""), str(subject.get("name") or ""), str(subject.get("org_name") or "")]
    name = str(r.get("subject_name") or subject or "")
    code = str(subject or "") if str(r.get("subject_key", "")).startswith(("org:", "team:")) else ""
    return [code, name, str(r.get("org") or "")]


def ranking(results: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The ranks given by the selectors where present (the same as the pages, the CLI and the API), else ranked."""
    if results and all("rank" in r for r in results):
        return [(r["rank"], r) for r in results]
    return ranked(results)


def _style_header(ws, widths: list[int]) -> None:
    fill = PatternFill("solid", fgColor="B71C1C")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def write_results(target: IO[bytes] | str, data: dict[str, Any], scheme_name: str = "") -> None:
    """Sheet 考核结果: rank, subject, each dimension, score, level, veto; sheet 考核项明细: one row per item."""
    results = data.get("results") or []
    dimensions: list[str] = []
    for r in results:
        for name in (r.get("dimensions") or {}):
            if name not in dimensions:
                dimensions.append(name)
    wb = Workbook()
    ws = wb.active
    ws.title = "考核结果"
    ws.append(["排名", "编码", "名称", "所属组织", *dimensions, "总分", "等级", "一票否决", "达标", "结果状态"])
    rows = ranking(results)
    for rank, r in rows:
        dims = r.get("dimensions") or {}
        passed = r.get("passed")
        ws.append([rank, *_subject_cells(r), *[_number(dims.get(d)) for d in dimensions],
                   _number(r.get("score")), r.get("level") or "", "是" if r.get("vetoed") else "否",
                   "" if passed is None else ("是" if passed else "否"),
                   "实时计算" if r.get("live") else "已认定"])
    _style_header(ws, [6, 16, 26, 22, *[10] * len(dimensions), 9, 10, 9, 7, 10])
    if not results:
        ws.append(["（该范围内没有考核对象）"])

    items = wb.create_sheet("考核项明细")
    items.append(["编码", "名称", "维度", "考核项", "满分", "得分", "方式", "取值说明", "评审说明", "缺少数据"])
    for _rank, r in rows:
        code, name, _org = _subject_cells(r)
        for item in r.get("items") or []:
            reviewer = item.get("reviewer") or {}
            items.append([code, name, item.get("dimension_name") or item.get("dimension") or "", item.get("name", ""),
                          _number(item.get("max")), _number(item.get("points")), item.get("how", ""),
                          item.get("text") or "", reviewer.get("note") or "", item.get("missing") or ""])
    _style_header(items, [16, 26, 12, 30, 7, 7, 10, 50, 30, 30])
    info = wb.create_sheet("说明")
    info.append(["考核方案", scheme_name or str(data.get("scheme", ""))])
    info.append(["方案编码", str(data.get("scheme", ""))])
    info.append(["范围", str(data.get("org", ""))])
    info.append(["年度/期间", str(data.get("period") or data.get("year", ""))])
    info.append(["对象数", len(results)])
    info.append(["导出时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")])
    info.append(["排名规则", "按总分从高到低，同分同名次；被一票否决的，等级按否决定"])
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 60
    wb.save(target)


# --- the Word 评星定级审批表 -----------------------------------------------------------------------

FORM_WIDTHS = (30.0, 50.0, 30.0, 50.0)


def _pair(table, l1: str, v1: str, l2: str, v2: str) -> None:
    w = FORM_WIDTHS
    _tr(table, [_tc(w[0], l1, shade=LABEL_SHADE, bold=True, size=10.5), _tc(w[1], v1, size=10.5),
                _tc(w[2], l2, shade=LABEL_SHADE, bold=True, size=10.5), _tc(w[3], v2, size=10.5)])


def _wide(table, label: str, value: list[str] | str, size: float = 10.5) -> None:
    w = FORM_WIDTHS
    _tr(table, [_tc(w[0], label, shade=LABEL_SHADE, bold=True, size=10.5),
                _tc(w[1] + w[2] + w[3], value, span=3, size=size)])


def _grid(doc, widths: list[float], header: list[str], rows: list[list[str]], size: float = 9.5) -> None:
    table = _table(doc, widths)
    _tr(table, [_tc(w, h, shade=LABEL_SHADE, bold=True, size=size, align="center")
                for w, h in zip(widths, header, strict=True)])
    for row in rows:
        _tr(table, [_tc(w, v, size=size, align=None if i else "center")
                    for i, (w, v) in enumerate(zip(widths, row, strict=True))])


def _fmt(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _opinion(note: str, who: str, when: dt.datetime | None, signer: str) -> list[str]:
    """The opinion, what the system recorded (who, when), and blank lines to sign and date by hand."""
    lines = [note.strip() or "（未填写）", ""]
    if when is not None and timezone.is_aware(when):
        when = timezone.localtime(when)
    if who or when:
        day = f"{when.year}年{when.month}月{when.day}日" if when else ""
        lines.append(f"系统记录：{who or '—'}{'，' + day if day else ''}")
    lines.append(f"{signer}（签字）：________________　　　（盖章）")
    lines.append("年　　月　　日")
    return lines


def approval_filename(card) -> str:
    name = f"{card.year}年-{card.subject_name}-评星定级审批表.docx"
    return name.replace("/", "／").replace("\\", "＼")


def write_approval(card, target: IO[bytes]) -> None:
    """The 评星定级审批表 of one branch: the form, the dimension table, the item table, the three opinions."""
    doc = _new_document()
    title = _paragraph(doc, f"{card.scheme_name}评星定级审批表", bold=True, size=18, font=HEADING_FONT,
                       align="center")
    title.paragraph_format.space_after = Pt(6)
    status = card.status_label + (f"（第{card.version}版）" if card.version else "")
    _paragraph(doc, f"考核年度：{card.period}　　状态：{status}", size=10, align="right") \
        .paragraph_format.space_after = Pt(6)
    form = _table(doc, list(FORM_WIDTHS))
    _pair(form, "党组织名称", card.subject_name, "组织编码", card.subject_code)
    _pair(form, "上级党组织", card.parent_name or "—", "考核方案", f"{card.scheme_name}（{card.scheme_version}）")
    _pair(form, "考核得分", f"{_fmt(card.score)}分（满分{_fmt(card.total)}）", "评定等级", card.level or "—")
    _pair(form, "是否达标", "达标" if card.passed else "不达标", "一票否决", "有" if card.vetoed else "无")
    if card.vetoes:
        _wide(form, "否决事项", [f"{v['name']}：{v.get('reason') or ''}" for v in card.vetoes])
    if card.missing:
        _wide(form, "缺少数据", card.missing, size=9.5)

    _paragraph(doc, "一、分项得分", bold=True, font=HEADING_FONT).paragraph_format.space_before = Pt(12)
    _grid(doc, [10, 60, 30, 30, 30], ["序号", "考核维度", "分值", "得分", "得分率"],
          [[str(i), d["name"], _fmt(d["weight"]), _fmt(d["points"]), f"{d['percent']}%"]
           for i, d in enumerate(card.dimensions, 1)]
          + [["", "合计", _fmt(card.total), _fmt(card.score), ""]])

    _paragraph(doc, "二、考核项得分及依据", bold=True, font=HEADING_FONT).paragraph_format.space_before = Pt(12)
    rows = []
    for i, item in enumerate(card.items, 1):
        reasons = [item["text"]] if item["text"] else []
        if item.get("self_score"):
            s = item["self_score"]
            reasons.append(f"自评{_fmt(s['points'])}分" + (f"，佐证：{s['evidence']}" if s.get("evidence") else ""))
        if item.get("review_score"):
            s = item["review_score"]
            reasons.append(f"审核{_fmt(s['points'])}分" + (f"，理由：{s['note']}" if s.get("note") else ""))
        reviewer = item.get("reviewer")
        if reviewer and not item.get("self_score") and not item.get("review_score"):
            reasons.append(f"评审{_fmt(reviewer['points'])}分" + (f"，理由：{reviewer['note']}" if reviewer.get("note")
                                                                else ""))
        if item["missing"]:
            reasons.append(item["missing"])
        rows.append([str(i), item["dimension_name"], item["name"], _fmt(item["max"]), _fmt(item["points"]),
                     item["how"], "；".join(reasons) or "—"])
    _grid(doc, [9, 20, 38, 12, 12, 14, 55], ["序号", "维度", "考核项", "满分", "得分", "方式", "得分依据"], rows, 9)

    _paragraph(doc, "三、审批意见", bold=True, font=HEADING_FONT).paragraph_format.space_before = Pt(12)
    table = _table(doc, list(FORM_WIDTHS))
    _wide(table, "党支部\n自评意见", _opinion(card.self_note, card.submitted_by, card.submitted_at,
                                          "党支部书记"))
    _wide(table, "上级党组织\n审核意见", _opinion(card.review_note, card.reviewed_by, card.reviewed_at,
                                            "审核人"))
    confirm = (f"同意认定为“{card.level}”。" if card.confirmed_at else "")
    _wide(table, "党委\n认定意见", _opinion(confirm, card.confirmed_by, card.confirmed_at, "负责人"))
    note = _paragraph(doc, "注：本表一式两份，党支部和上级党组织各存一份。得分依据摘自系统记录，"
                           "认定后的结果不随此后的记录变化。", size=9)
    note.paragraph_format.space_before = Pt(6)
    doc.save(target)
