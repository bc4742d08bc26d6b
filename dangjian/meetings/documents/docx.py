"""Word documents (python-docx): the meeting record (会议记录) of one activity and a branch's yearly 台账.

Chinese text is set in 宋体 (headings 黑体) through the East Asian font slot (w:eastAsia), Latin text in
Times New Roman, on A4 paper, so the files open alike in Word and WPS.
"""

import datetime as dt
import re
from typing import IO

from django.utils import timezone
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import oxml_parser
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from ..models import ActivityKind
from .facts import MEETING_KINDS, ActivityFacts, Mark, record_name
from .ledger import MONTHS, Ledger

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
WEEKDAYS = "一二三四五六日"
LABEL_SHADE = "F2F2F2"
# Four columns: label, value, label, value (A4 with 25 mm margins leaves 160 mm).
COLUMNS_MM = (24, 56, 24, 56)
NUMBERING = re.compile(r"^\s*[（(]?(\d{1,2}|[一二三四五六七八九十]{1,3})[)）.、．]\s*")


# --- formatting helpers --------------------------------------------------------------------------


def _set_fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the fonts of a style's or a run's rPr, East Asian slot included (theme fonts removed)."""
    rfonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _new_document() -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element, BODY_FONT)
    normal.font.size = Pt(12)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12)):
        style = doc.styles[name]
        _set_fonts(style.element, HEADING_FONT)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12 if name != "Heading 3" else 8)
        style.paragraph_format.space_after = Pt(6)
    _page_number_footer(section)
    return doc


def _page_number_footer(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    paragraph.add_run(" 页")


# Paragraphs, runs and table rows are built as XML elements directly: python-docx's object API looks up
# styles by name and re-scans children on every call, which made a 75-activity 台账 take several seconds.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W_NSMAP = {"w": W[1:-1]}


def _el(tag: str, **attrs: str):
    """A w: element (the parser's makeelement keeps python-docx's element classes for it)."""
    element = oxml_parser.makeelement(W + tag[2:], nsmap=W_NSMAP)
    for key, value in attrs.items():
        element.set(W + key, value)
    return element


def _r(text: str, *, bold: bool = False, size: float | None = None, font: str | None = None):
    """A run; characters that XML cannot hold are dropped."""
    run = _el("w:r")
    if bold or size or font:
        rpr = _el("w:rPr")
        if font:
            rpr.append(_el("w:rFonts", ascii=LATIN_FONT, hAnsi=LATIN_FONT, eastAsia=font))
        if bold:
            rpr.append(_el("w:b"))
        if size:
            rpr.append(_el("w:sz", val=str(round(size * 2))))
            rpr.append(_el("w:szCs", val=str(round(size * 2))))
        run.append(rpr)
    t = _el("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = CONTROL_CHARS.sub("", text)
    run.append(t)
    return run


def _p(text: str = "", *, bold: bool = False, size: float | None = None, font: str | None = None,
       align: str | None = None, style: str | None = None):
    """A paragraph element; align is left/center/right, style a style id (Heading1 …)."""
    paragraph = _el("w:p")
    if align or style:
        ppr = _el("w:pPr")
        if style:
            ppr.append(_el("w:pStyle", val=style))
        if align:
            ppr.append(_el("w:jc", val=align))
        paragraph.append(ppr)
    if text:
        paragraph.append(_r(text, bold=bold, size=size, font=font))
    return paragraph


def _paragraph(doc, text: str = "", *, bold: bool = False, size: float | None = None, font: str | None = None,
               align: str | None = None, style: str | None = None):
    """Append a paragraph to the document body; returns python-docx's Paragraph for further formatting."""
    paragraph = doc.add_paragraph()
    p = _p(text, bold=bold, size=size, font=font, align=align, style=style)
    paragraph._p.getparent().replace(paragraph._p, p)
    return Paragraph(p, paragraph._parent)


def _heading(doc, text: str, level: int):
    return _paragraph(doc, text, style=f"Heading{level}")


def _lines(value: list[str] | str) -> list[str]:
    return value if isinstance(value, list) else (value.splitlines() or [""])


def _tc(width_mm: float, lines: list[str] | str, *, span: int = 1, shade: str | None = None, bold: bool = False,
        size: float | None = None, align: str | None = None):
    cell = _el("w:tc")
    tcpr = _el("w:tcPr")
    tcpr.append(_el("w:tcW", w=str(round(width_mm * 56.7)), type="dxa"))
    if span > 1:
        tcpr.append(_el("w:gridSpan", val=str(span)))
    if shade:
        tcpr.append(_el("w:shd", val="clear", color="auto", fill=shade))
    tcpr.append(_el("w:vAlign", val="center"))
    cell.append(tcpr)
    for line in _lines(lines):
        cell.append(_p(line, bold=bold, size=size, align=align))
    return cell


def _table(doc, widths_mm: list[float]):
    """An empty bordered table (style Table Grid) with fixed column widths, centered."""
    table = doc.add_table(rows=0, cols=len(widths_mm))
    table._tbl.tblPr.style = "TableGrid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        column.w = Mm(width)
    return table


def _tr(table, cells) -> None:
    row = _el("w:tr")
    for cell in cells:
        row.append(cell)
    table._tbl.append(row)


class FormTable:
    """A bordered four-column form: label | value | label | value, or label | value across three columns."""

    def __init__(self, doc, size: float = 11):
        self.table = _table(doc, list(COLUMNS_MM))
        self.size = size

    def _label(self, text: str, width: float):
        return _tc(width, text, shade=LABEL_SHADE, bold=True, size=self.size)

    def pair(self, label1: str, value1: str, label2: str, value2: str) -> None:
        w = COLUMNS_MM
        _tr(self.table, [self._label(label1, w[0]), _tc(w[1], value1, size=self.size),
                         self._label(label2, w[2]), _tc(w[3], value2, size=self.size)])

    def wide(self, label: str, value: list[str] | str) -> None:
        w = COLUMNS_MM
        _tr(self.table, [self._label(label, w[0]), _tc(w[1] + w[2] + w[3], value, span=3, size=self.size)])


# --- texts ---------------------------------------------------------------------------------------


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def time_text(facts: ActivityFacts) -> str:
    """2025年3月5日（星期三）14:30—16:00 (local time)."""
    start = _local(facts.activity.starts_at)
    text = f"{_date_text(start.date())}（星期{WEEKDAYS[start.weekday()]}）{start:%H:%M}"
    if facts.activity.ends_at:
        end = _local(facts.activity.ends_at)
        text += f"—{end:%H:%M}" if end.date() == start.date() else f"—{_date_text(end.date())} {end:%H:%M}"
    return text


def place_text(facts: ActivityFacts) -> str:
    place = facts.activity.place or ""
    if facts.activity.online:
        place = f"{place}（线上）" if place else "线上"
    return place or "—"


def _person(member) -> str:
    return member.name if member is not None else "—"


def _names(marks: list[Mark], with_reason: bool = False) -> str:
    if with_reason:
        return "、".join(f"{m.name}（{m.reason}）" if m.reason else m.name for m in marks)
    return "、".join(m.name for m in marks)


def leave_text(facts: ActivityFacts) -> str:
    marks = facts.on_leave
    return f"{len(marks)}人" + (f"：{_names(marks, with_reason=True)}" if marks else "")


def absent_text(facts: ActivityFacts) -> str:
    marks = facts.absent
    return f"{len(marks)}人" + (f"：{_names(marks)}" if marks else "")


def present_text(facts: ActivityFacts) -> str:
    present = [m for m in facts.present if m.expected]
    text = _names(present) or "无"
    if facts.guests:
        text += f"；列席：{_names(facts.guests)}"
    return text


def quorum_verdict(facts: ActivityFacts) -> str:
    met = facts.quorum.met
    return "无法定人数要求" if met is None else ("符合" if met else "不符合")


def agenda_lines(agenda: str) -> list[str]:
    """The agenda, one numbered line per item (existing numbering like “1.”/“一、” replaced)."""
    items = [NUMBERING.sub("", line).strip() for line in (agenda or "").splitlines()]
    items = [i for i in items if i]
    return [f"{n}. {item}" for n, item in enumerate(items, 1)] or ["（未填写）"]


def minutes_lines(minutes: str) -> list[str]:
    lines = [line.rstrip() for line in (minutes or "").strip().splitlines()]
    return lines or ["（未填写）"]


def _wants_lecturer(facts: ActivityFacts) -> bool:
    return facts.activity.kind == ActivityKind.PARTY_LECTURE or facts.activity.lecturer_id is not None \
        or "lecturer" in (facts.template.get("roles") or [])


# --- the meeting record --------------------------------------------------------------------------


def record_title(facts: ActivityFacts) -> str:
    return f"{facts.activity.org.name}{record_name(facts.activity.kind)}"


def record_filename(facts: ActivityFacts) -> str:
    """<date>-<org name>-<kind>会议记录.docx"""
    name = f"{facts.day:%Y-%m-%d}-{facts.activity.org.name}-{record_name(facts.activity.kind)}.docx"
    return name.replace("/", "／").replace("\\", "＼")


def _record_form(doc, facts: ActivityFacts) -> None:
    a, q = facts.activity, facts.quorum
    kind = ActivityKind(a.kind)
    form = FormTable(doc)
    form.wide("会议名称" if kind in (ActivityKind.BRANCH_ASSEMBLY, ActivityKind.COMMITTEE_MEETING,
                                  ActivityKind.GROUP_MEETING) else "活动名称", kind.label)
    form.wide("主题", a.title)
    form.wide("时间", time_text(facts))
    form.pair("地点", place_text(facts), "主持人", _person(a.host))
    if _wants_lecturer(facts):
        form.pair("记录人", _person(a.recorder), "讲课人", _person(a.lecturer))
    else:
        form.wide("记录人", _person(a.recorder))
    form.pair("应到", f"{q.expected}人", "实到", f"{q.attended}人")
    form.wide("请假", leave_text(facts))
    form.wide("缺席", absent_text(facts))
    form.wide("出席人员", present_text(facts))
    form.wide("到会情况", q.explanation)
    form.wide("议程", agenda_lines(a.agenda))
    form.wide("会议记录" if kind in MEETING_KINDS else "活动记录", minutes_lines(a.minutes))


def write_record(facts: ActivityFacts, target: IO[bytes]) -> None:
    """The 会议记录 of one activity."""
    doc = _new_document()
    title = _paragraph(doc, record_title(facts), bold=True, size=18, font=HEADING_FONT, align="center")
    title.paragraph_format.space_after = Pt(6)
    info = f"活动编号：{facts.activity.code}　　状态：{facts.activity.get_status_display()}"
    _paragraph(doc, info, size=10, align="right").paragraph_format.space_after = Pt(6)
    _record_form(doc, facts)
    if facts.activity.late_entry:
        recorded = facts.activity.recorded_at
        when = f"（录入时间：{_local(recorded):%Y-%m-%d %H:%M}）" if recorded else ""
        _paragraph(doc, f"注：本记录为补录{when}。", size=10)
    doc.add_paragraph()
    signatures = _paragraph(doc, "主持人签字：________________　　　　记录人签字：________________")
    signatures.paragraph_format.space_before = Pt(18)
    _paragraph(doc, "年　　月　　日", align="right").paragraph_format.space_before = Pt(12)
    doc.save(target)


# --- the yearly 台账 -----------------------------------------------------------------------------

CHINESE_NUMERALS = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    return ("十" if n < 20 else CHINESE_NUMERALS[n // 10 - 1] + "十") + (CHINESE_NUMERALS[n % 10 - 1] if n % 10 else "")


def _cover(doc, ledger: Ledger) -> None:
    for _ in range(6):
        doc.add_paragraph()
    center = "center"
    _paragraph(doc, ledger.branch.name, bold=True, size=26, font=HEADING_FONT, align=center)
    doc.add_paragraph()
    _paragraph(doc, f"{ledger.year}年度", bold=True, size=22, font=HEADING_FONT, align=center)
    _paragraph(doc, "组织生活台账", bold=True, size=36, font=HEADING_FONT, align=center) \
        .paragraph_format.space_before = Pt(12)
    for _ in range(10):
        doc.add_paragraph()
    _paragraph(doc, f"组织编码：{ledger.branch.code}", size=14, align=center)
    _paragraph(doc, f"生成日期：{_date_text(_local(ledger.generated_at).date())}", size=14, align=center)
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


def _summary(doc, ledger: Ledger) -> None:
    s = ledger.summary
    _heading(doc, "一、年度概况", 1)
    lines = [
        f"{ledger.year}年，{ledger.branch.name}（含所属党小组）共记录组织生活{s.total}次，其中已召开{s.held}次"
        f"（已归档{s.archived}次），计划或已通知尚未召开{s.pending}次；补录{s.late}次。",
        f"已召开的活动应到{s.expected}人次，实到{s.attended}人次，请假{s.on_leave}人次，缺席{s.absent}人次，"
        f"出勤率{s.attendance_percent}。",
    ]
    if s.quorum_checked:
        lines.append(f"有到会人数要求的会议{s.quorum_checked}次，其中符合要求{s.quorum_met}次，"
                     f"不符合要求{s.quorum_checked - s.quorum_met}次。")
    for line in lines:
        _paragraph(doc, line).paragraph_format.first_line_indent = Pt(24)
    _paragraph(doc, "各类活动按月统计（次）", bold=True, align="center") \
        .paragraph_format.space_before = Pt(12)
    widths = [30.0] + [9.2] * 12 + [12.0]
    table = _table(doc, widths)

    def put(values, bold=False):
        _tr(table, [_tc(w, str(v), bold=bold, size=9, align=None if i == 0 else "center")
                    for i, (w, v) in enumerate(zip(widths, values, strict=True))])

    put(["活动类型＼月份", *[str(m) for m in MONTHS], "合计"], bold=True)  # "10月" would wrap in 9 mm
    for kind in ActivityKind:
        counts = s.by_kind_month[kind.value]
        put([kind.label, *[counts[m] or "" for m in MONTHS], s.kind_total(kind.value) or ""])
    put(["合计", *[s.month_total(m) or "" for m in MONTHS], s.total], bold=True)


def _activity_section(doc, n: int, facts: ActivityFacts) -> None:
    a, q = facts.activity, facts.quorum
    late = "（补录）" if a.late_entry else ""
    _heading(doc, f"{n}. {facts.day.month}月{facts.day.day}日 {a.title}{late}", 3)
    form = FormTable(doc, size=10)
    form.pair("时间", time_text(facts), "地点", place_text(facts))
    form.pair("组织", a.org.name, "活动编号", a.code)
    form.pair("主持人", _person(a.host), "记录人", _person(a.recorder))
    if _wants_lecturer(facts):
        form.wide("讲课人", _person(a.lecturer))
    form.pair("应到", f"{q.expected}人", "实到", f"{q.attended}人")
    form.wide("请假", leave_text(facts))
    form.wide("缺席", absent_text(facts))
    form.wide("到会情况", f"{quorum_verdict(facts)}。{q.explanation}" if q.rule else q.explanation)
    form.pair("状态", a.get_status_display(), "补录", "是" if a.late_entry else "否")
    form.wide("议程", agenda_lines(a.agenda))
    form.wide("记录", minutes_lines(a.minutes))


def write_ledger(ledger: Ledger, target: IO[bytes]) -> None:
    """One document: a cover, the summary, then one section per activity, grouped by kind."""
    doc = _new_document()
    _cover(doc, ledger)
    _summary(doc, ledger)
    _heading(doc, "二、活动记录", 1)
    if not ledger.items:
        _paragraph(doc, "本年度没有组织生活记录。")
    for i, (_kind, label, items) in enumerate(ledger.by_kind, 1):
        _heading(doc, f"（{_ordinal(i)}）{label}（{len(items)}次）", 2)
        for n, facts in enumerate(items, 1):
            _activity_section(doc, n, facts)
    doc.save(target)


def ledger_filename(ledger: Ledger, ext: str) -> str:
    name = f"{ledger.year}年-{ledger.branch.name}-组织生活台账.{ext}"
    return name.replace("/", "／").replace("\\", "＼")
