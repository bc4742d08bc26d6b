"""Export of the system's data in the standard workbook format, and the empty template.

An export imports again into an empty system unchanged (round trip). An export of a subtree (a `root`
below the top, or a user's scope) also carries the rows of the organizations *above* it, so that the file
is self-contained: imported into an empty system it rebuilds the chain; imported back into this system
those rows are unchanged and therefore allowed even for a user who manages only the subtree.

A masked export (`mask=True`) hides 身份证号 and 手机号码, starts with a 脱敏说明 sheet, and is refused by the
importer.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db.models import F, Q
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.scoping import Scope
from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, Attendance
from dangjian.orgs.models import Member, MemberPost, Organization, PartyPost, WorkTeam

from .sheets import handlers
from .workbook import MASKED_NOTE_SHEET, NOTE_SHEET, TEXT_KINDS, SheetSpec

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B71C1C")
REQUIRED_FILL = PatternFill("solid", fgColor="8E1212")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center")
THIN = Side(style="thin", color="D1D5DB")
MASKED_NOTE = "本文件中的身份证号和手机号码已脱敏，仅供查阅，不能用于导入。需要可导入的文件，请由有权查看身份证号的管理员导出。"
_POST_ORDER = {p: i for i, p in enumerate(PartyPost.values)}


@dataclass
class ExportContext:
    """What the sheet handlers' `export_rows` read: the selected rows, looked up in memory."""

    orgs: list[Organization]
    teams: Sequence[WorkTeam]
    members: Iterable[Member]
    posts: dict[int, list[str]]
    mask: bool = False
    org_code_by_path: dict[str, str] = field(default_factory=dict)
    org_code_by_pk: dict[int, str] = field(default_factory=dict)
    team_code_by_pk: dict[int, str] = field(default_factory=dict)
    # 活动 and 出勤: activities of the selected organizations (annotated with org_code and the host's and
    # lecturer's id_number and branch_path), and (活动编号, 身份证号, status, reason) of their attendance
    activities: Iterable[Activity] = ()
    attendance: Iterable[tuple[str, str, str, str]] = ()
    selects_branch: Callable[[str], bool] = lambda path: True  # is a member of this branch path exported?

    def id_number(self, value: str | None) -> str:
        if not value:
            return ""
        return mask_id_number(value) if self.mask else value

    def person_id(self, value: str | None, branch_path: str | None) -> str:
        """A person named by an activity, if the export carries them (the file stays self-contained)."""
        if not value or not branch_path or not self.selects_branch(branch_path):
            return ""
        return self.id_number(value)

    def phone(self, value: str | None) -> str:
        if not value:
            return ""
        return mask_phone(value) if self.mask else value


def export_context(*, root: Organization | None = None, scope: Scope | None = None, mask: bool = False) -> ExportContext:
    """Select the rows of a subtree and/or a scope, in a constant number of queries."""
    where = Q()
    if root is not None:
        where &= subtree_q(root.path)
    if scope is not None and not scope.is_admin:
        where &= scope.org_q()
    content = list(Organization.objects.filter(where).order_by("path"))
    paths = {o.path for o in content}
    steplen = Organization.steplen
    above = {o.path[: steplen * d] for o in content for d in range(1, o.depth)} - paths
    orgs = sorted([*content, *Organization.objects.filter(path__in=above)], key=lambda o: o.path)
    # Codes of every organization a row may name (a member's branch and group are in the content).
    code_by_pk = {o.pk: o.code for o in orgs}

    def below(prefix: str) -> Q:
        q = Q()
        if root is not None:
            q &= subtree_q(root.path, f"{prefix}path")
        if scope is not None and not scope.is_admin:
            q &= scope.org_q(prefix)
        return q

    teams = list(WorkTeam.objects.filter(below("branch__")).annotate(contact_id_number=F("contact_member__id_number"))
                 .order_by("branch__path", "code"))
    posts: dict[int, list[str]] = defaultdict(list)
    for member_id, post in MemberPost.objects.filter(below("member__branch__")).values_list("member_id", "post"):
        posts[member_id].append(post)
    for held in posts.values():
        held.sort(key=lambda p: _POST_ORDER.get(p, 99))
    members = (Member.objects.filter(below("branch__")).order_by("branch__path", "id")
               .iterator(chunk_size=2000))
    activities = (Activity.objects.filter(below("org__"))
                  .annotate(org_code=F("org__code"), host_id_number=F("host__id_number"),
                            host_branch_path=F("host__branch__path"), lecturer_id_number=F("lecturer__id_number"),
                            lecturer_branch_path=F("lecturer__branch__path"))
                  .order_by("org__path", "starts_at", "code").iterator(chunk_size=2000))
    # Attendance of the exported people only: the file must import into an empty system on its own.
    attendance = (Attendance.objects.filter(below("activity__org__"), below("member__branch__"))
                  .order_by("activity__org__path", "activity__starts_at", "activity__code", "member__branch__path",
                            "member_id")
                  .values_list("activity__code", "member__id_number", "status", "reason").iterator(chunk_size=5000))

    def selects_branch(path: str) -> bool:
        if root is not None and not path.startswith(root.path):
            return False
        return scope is None or scope.is_admin or scope.in_paths(path, scope.manage_paths)

    return ExportContext(orgs=orgs, teams=teams, members=members, posts=posts, mask=mask,
                         org_code_by_path={o.path: o.code for o in orgs}, org_code_by_pk=code_by_pk,
                         team_code_by_pk={t.pk: t.code for t in teams}, activities=activities,
                         attendance=attendance, selects_branch=selects_branch)


def _header_cells(ws, spec: SheetSpec) -> list[WriteOnlyCell]:
    cells = []
    for column in spec.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.alignment = HEADER_FONT, HEADER_ALIGN
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cells.append(cell)
    return cells


def _setup_sheet(ws, spec: SheetSpec) -> None:
    ws.freeze_panes = "A2"
    for i, column in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width


def write_workbook(target: str | Path | IO[bytes], *, root: Organization | None = None, scope: Scope | None = None,
                   mask: bool = False, sheets: Iterable[str] | None = None) -> None:
    """Write sheets 组织/班组/党员/活动/出勤 (and any later registered sheet) of the selection to `target`;
    `sheets` limits the export to those sheet names (e.g. only the roster)."""
    wanted = set(sheets) if sheets is not None else None
    ectx = export_context(root=root, scope=scope, mask=mask)
    wb = Workbook(write_only=True)
    if mask:
        note = wb.create_sheet(MASKED_NOTE_SHEET)
        note.column_dimensions["A"].width = 100
        cell = WriteOnlyCell(note, value=MASKED_NOTE)
        cell.font = Font(bold=True, color="B71C1C")
        note.append([cell])
    for handler in handlers():
        if wanted is not None and handler.spec.name not in wanted:
            continue
        ws = wb.create_sheet(handler.spec.name)
        _setup_sheet(ws, handler.spec)
        ws.append(_header_cells(ws, handler.spec))
        for row in handler.export_rows(ectx):
            ws.append(row)
    wb.save(target)


# --- the empty template ------------------------------------------------------------------------

GENERAL_NOTES = [
    "标准导入模板 v1：一个.xlsx工作簿，按需要填写下列工作表（可以只填其中几个；引用其他表的数据时，被引用的数据须在本工作簿中或已在系统中）。",
    "第1行为表头，列的顺序不限；表头须与模板一致（前后空格不计）。不认识的列会提示并忽略；缺少必填列（深红色表头）则不能导入。",
    "日期填日期单元格，或“YYYY-MM-DD”格式的文本（如2024-07-01）；空白单元格表示“不详”。",
    "组织编码、班组编码按文本处理，在各自的表中不能重复；身份证号为18位，末位可为X，系统会核对校验位并读出出生日期和性别。",
    "请把编码和身份证号所在列设为“文本”格式：身份证号存成数字时，Excel只保留15位有效数字，末几位会丢失。",
    "整个工作簿作为一个整体导入：只要有一行出错，就不写入任何数据，并逐条列出“工作表 / 行 / 列：错误原因”。",
    "再次导入已有的数据时，按组织编码、班组编码、身份证号更新，不会重复新增；没有变化的行不会改动。",
    "活动按活动编号更新；出勤按“活动编号+身份证号”更新，出勤表中没有列出的应到人员按缺席计算。"
    "开始时间已过的活动导入后为“已召开”；活动结束后超过规定天数才录入的记为“补录”。",
    "各表第2行起为示例数据，请删除或改为实际数据后再导入。",
]


def write_template(target: str | Path | IO[bytes]) -> None:
    """An empty workbook: the 说明 sheet, then each sheet's headers and a (valid) sample row."""
    wb = Workbook()
    note = wb.active
    note.title = NOTE_SHEET
    _write_notes(note)
    for handler in handlers():
        spec = handler.spec
        ws = wb.create_sheet(spec.name)
        ws.freeze_panes = "A2"
        for i, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = column.width
            cell = ws.cell(row=1, column=i, value=column.header)
            cell.font, cell.alignment = HEADER_FONT, HEADER_ALIGN
            cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
            if column.kind in TEXT_KINDS:
                ws.column_dimensions[letter].number_format = "@"
        for r, values in enumerate(handler.sample_rows(), start=2):
            for i, (column, value) in enumerate(zip(spec.columns, values, strict=False), start=1):
                cell = ws.cell(row=r, column=i, value=_blank_to_none(value))
                if column.kind in TEXT_KINDS:
                    cell.number_format = "@"
    wb.save(target)


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _write_notes(ws) -> None:
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["D"].width = 90
    title = ws.cell(row=1, column=1, value="党建工作标准化管理平台 · 标准导入模板说明")
    title.font = Font(bold=True, size=14, color="B71C1C")
    row = 3
    for line in GENERAL_NOTES:
        ws.cell(row=row, column=1, value=line)
        row += 1
    row += 1
    for i, header in enumerate(["工作表", "列名", "必填", "说明"], start=1):
        cell = ws.cell(row=row, column=i, value=header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    for handler in handlers():
        spec = handler.spec
        for column in spec.columns:
            row += 1
            values = [spec.name, column.header, "是" if column.required else "", column.help]
            for i, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=i, value=value)
                cell.border = Border(bottom=THIN)
                cell.alignment = Alignment(wrap_text=i == 4, vertical="top")
