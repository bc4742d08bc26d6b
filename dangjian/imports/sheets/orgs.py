"""Sheet 组织: organizations, created, changed and moved by code."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from dangjian.core.audit import snapshot
from dangjian.orgs import rules
from dangjian.orgs.models import ALLOWED_PARENT_KINDS, Member, Organization, OrgKind

from ..base import (
    AUDIT_CREATE,
    AUDIT_UPDATE,
    BATCH_SIZE,
    CREATED,
    NO_PERMISSION,
    UNCHANGED,
    UPDATED,
    Change,
    ImportContext,
    OrgState,
    SheetHandler,
    create_update_lists,
    display,
    update_rows,
)
from ..workbook import CODE, DATE, INTEGER, TEXT, Cells, Column, SheetData, SheetSpec

SHEET = "组织"
SPEC = SheetSpec(SHEET, (
    Column("组织编码", CODE, True, "组织的唯一编码（按文本处理）；再次导入时按编码更新，不会重复新增", 14),
    Column("组织名称", TEXT, True, "组织全称", 28),
    Column("组织类型", TEXT, True, "党委 / 党总支 / 党支部 / 党小组", 10),
    Column("上级组织编码", CODE, True, "最上级党委留空；党总支在党委下，党支部在党委或党总支下，党小组在党支部下", 14),
    Column("成立日期", DATE, False, "日期单元格或“YYYY-MM-DD”", 12),
    Column("本届任期开始", DATE, False, "党委、党总支、党支部填写；党小组不填", 14),
    Column("任期年限", INTEGER, False, "整数1–10；留空按默认：党委5年，党总支、党支部3年", 10),
), help="党组织：党委 → 党总支 → 党支部 → 党小组")

COLUMN = {"code": "组织编码", "name": "组织名称", "kind": "组织类型", "parent": "上级组织编码",
          "founded_on": "成立日期", "term_started_on": "本届任期开始", "term_years": "任期年限"}
FIELDS = ["name", "kind", "founded_on", "term_started_on", "term_years"]
KIND_BY_LABEL = {k.label: k.value for k in OrgKind}


def kind_label(kind: str) -> str:
    try:
        return OrgKind(kind).label
    except ValueError:
        return kind


def _display(field: str, value: Any) -> str:
    return kind_label(value) if field == "kind" and value else display(value)


class OrgSheet(SheetHandler):
    spec = SPEC
    order = 10

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        ctx.start_sheet(SPEC)
        cells = Cells(SHEET, ctx.errors)
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = cells.required_text(row, "组织编码")
            name = cells.required_text(row, "组织名称")
            label = cells.required_text(row, "组织类型")
            kind = KIND_BY_LABEL.get(label, label)
            if not code:
                continue
            if code in seen:
                ctx.error(SHEET, row, "组织编码", f"组织编码“{code}”与第{seen[code]}行重复")
                continue
            seen[code] = row.number
            existing = ctx.orgs.get(code)
            state = OrgState(code=code, name=name, kind=kind, parent=None, sheet_row=row,
                             obj=existing.obj if existing else None,
                             current_parent=existing.current_parent if existing else None)
            state.parent = (cells.code(row, "上级组织编码") or None) if sheet.has("上级组织编码") else state.current_parent
            for field, reader in (("founded_on", cells.date), ("term_started_on", cells.date),
                                  ("term_years", cells.integer)):
                if sheet.has(COLUMN[field]):
                    setattr(state, field, reader(row, COLUMN[field]))
                elif existing is not None:
                    setattr(state, field, getattr(existing, field))
            ctx.orgs[code] = state

    def check(self, ctx: ImportContext) -> None:
        rows = [s for s in ctx.orgs.values() if s.sheet_row is not None]
        if not rows:
            return
        children: dict[str, list[OrgState]] = defaultdict(list)
        for s in ctx.orgs.values():
            if s.sheet_row is None and s.parent:
                children[s.parent].append(s)
        for s in rows:
            self._check_row(ctx, s, children)

    def _check_row(self, ctx: ImportContext, s: OrgState, children: dict[str, list[OrgState]]) -> None:
        row = s.sheet_row
        assert row is not None
        parent = ctx.orgs.get(s.parent) if s.parent else None
        parent_ok = True
        if s.parent and parent is None:
            ctx.error(SHEET, row, "上级组织编码", f"上级组织“{s.parent}”不存在：组织表中没有，系统中也没有")
            parent_ok = False
        elif parent is not None and parent.kind not in OrgKind.values:
            parent_ok = False  # the parent's own row reports its bad type
        elif s.parent == s.code:
            ctx.error(SHEET, row, "上级组织编码", "上级组织不能是它自己")
            parent_ok = False
        parent_ref = rules.OrgRef(code=parent.code, kind=parent.kind) if parent is not None and parent_ok else None
        for field, message in rules.check_org(code=s.code, name=s.name, kind=s.kind, parent=parent_ref,
                                              founded_on=s.founded_on, term_started_on=s.term_started_on,
                                              term_years=s.term_years, today=ctx.today):
            if field == "parent" and not parent_ok:
                continue
            ctx.error(SHEET, row, COLUMN.get(field, field), message)
        if parent_ok and s.parent and ctx.chain(s.code) is None:
            cycle = self._cycle(ctx, s.code)
            if cycle:
                ctx.error(SHEET, row, "上级组织编码", f"上级组织编码形成循环：{' → '.join(cycle)}")
        if s.kind not in OrgKind.values:
            return
        if s.obj is not None:
            self._check_existing(ctx, s, children.get(s.code, []))
        self._classify(ctx, s)

    @staticmethod
    def _cycle(ctx: ImportContext, code: str) -> list[str]:
        seen: list[str] = [code]
        current = ctx.orgs[code].parent
        while current is not None and current in ctx.orgs:
            if current == code:
                return [*seen, code]
            if current in seen:
                return []  # a cycle above, not through this row
            seen.append(current)
            current = ctx.orgs[current].parent
        return []

    def _check_existing(self, ctx: ImportContext, s: OrgState, db_children: list[OrgState]) -> None:
        """What changing an existing organization's type or parent would break among rows not in the workbook."""
        row, obj = s.sheet_row, s.obj
        assert row is not None and obj is not None
        if s.kind != obj.kind:
            for child in db_children:
                if child.kind in OrgKind.values and s.kind not in ALLOWED_PARENT_KINDS[child.kind]:
                    ctx.error(SHEET, row, "组织类型",
                              f"下级组织“{child.code}”（{kind_label(child.kind)}）不能隶属于新类型")
                    break
            if obj.kind == OrgKind.BRANCH and (
                self._members_outside_sheet(ctx, branch_id=obj.pk)
                or any(t.sheet_row is None and t.branch == s.code for t in ctx.teams.values())
            ):
                ctx.error(SHEET, row, "组织类型", "该党支部下还有人员或班组，不能改变组织类型")
            if obj.kind == OrgKind.GROUP and self._members_outside_sheet(ctx, group_id=obj.pk):
                ctx.error(SHEET, row, "组织类型", "该党小组下还有人员，不能改变组织类型")
        if (obj.kind == OrgKind.GROUP and s.parent != s.current_parent
                and self._members_outside_sheet(ctx, group_id=obj.pk)):
            ctx.error(SHEET, row, "上级组织编码", "该党小组下还有人员（党员表中未调整），不能移到其他党支部")

    @staticmethod
    def _members_outside_sheet(ctx: ImportContext, **where: int) -> bool:
        """Has the organization members that the 党员 sheet does not move? (rare: a type change or a move)"""
        ids = Member.objects.filter(**where).values_list("id_number", flat=True)
        return any(i not in ctx.member_rows for i in ids)

    def _classify(self, ctx: ImportContext, s: OrgState) -> None:
        row = s.sheet_row
        assert row is not None
        obj = s.obj
        if obj is None:
            s.action = CREATED
            if not ctx.may_add_org(s.parent, s.kind):
                if s.parent is None:
                    ctx.error(SHEET, row, "上级组织编码", "无权创建最上级党委（只有系统管理员可以）")
                else:
                    ctx.error(SHEET, row, "组织编码", NO_PERMISSION)
            ctx.count(SHEET, CREATED)
            ctx.changes.append(Change(SHEET, row.number, CREATED, s.code, s.name, [
                (COLUMN[f], "", _display(f, getattr(s, f))) for f in ["kind", "parent", *FIELDS[2:]]
                if getattr(s, f) is not None]))
            return
        diff = [(COLUMN[f], _display(f, getattr(obj, f)), _display(f, getattr(s, f)))
                for f in FIELDS if getattr(obj, f) != getattr(s, f)]
        moved = s.parent != s.current_parent
        if moved:
            diff.append((COLUMN["parent"], display(s.current_parent), display(s.parent)))
        if not diff:
            s.action = UNCHANGED
            if not (ctx.sees_current(obj) or ctx.is_ancestor_of_scope(obj)):
                ctx.error(SHEET, row, "组织编码", NO_PERMISSION)
            ctx.count(SHEET, UNCHANGED)
            return
        s.action = UPDATED
        if not ctx.manages_current(obj):
            ctx.error(SHEET, row, "组织编码", NO_PERMISSION)
        elif moved and not ctx.may_add_org(s.parent, s.kind):
            ctx.error(SHEET, row, "上级组织编码", NO_PERMISSION if s.parent else "无权创建最上级党委（只有系统管理员可以）")
        s.before = snapshot(obj, extra={"parent": s.current_parent})
        ctx.count(SHEET, UPDATED)
        ctx.changes.append(Change(SHEET, row.number, UPDATED, s.code, s.name, diff))

    # --- writing ---------------------------------------------------------------------------------

    def write(self, ctx: ImportContext) -> None:
        states = [s for s in ctx.orgs.values() if s.sheet_row is not None]
        created, updated = create_update_lists(states)
        if not created and not updated:
            return
        for s in updated:
            for f in FIELDS:
                setattr(s.obj, f, getattr(s, f))
        update_rows(Organization, [s.obj for s in updated], FIELDS)
        self._create(ctx, created)
        moved = sorted((s for s in updated if s.parent != s.current_parent), key=lambda s: len(ctx.chain(s.code) or ()))
        for s in moved:
            node = Organization.objects.get(pk=s.obj.pk)
            if s.parent is None:
                Organization.objects.move(node, Organization.objects.get_last_root_node(), pos="last-sibling")
            else:
                Organization.objects.move(node, Organization.objects.get(code=s.parent), pos="last-child")
        if moved:
            fresh = {o.code: o for o in Organization.objects.all()}
            for s in ctx.orgs.values():
                s.obj = fresh.get(s.code)
        for s in created:
            ctx.audit(action=AUDIT_CREATE, obj=s.obj, before=None,
                      after=snapshot(s.obj, extra={"parent": s.parent}), org_path=s.obj.path)
        for s in updated:
            ctx.audit(action=AUDIT_UPDATE, obj=s.obj, before=s.before,
                      after=snapshot(s.obj, extra={"parent": s.parent}), org_path=s.obj.path)

    def _create(self, ctx: ImportContext, created: list[OrgState]) -> None:
        """Create new organizations with treebeard paths computed here (one bulk insert)."""
        if not created:
            return
        steplen, alphabet = Organization.steplen, Organization.alphabet
        last_position: dict[str, int] = defaultdict(int)
        for org in ctx.db_orgs.values():
            base = org.path[:-steplen]
            last_position[base] = max(last_position[base], int(org.path[-steplen:], len(alphabet)))
        touched: dict[int, Organization] = {}
        new_objs = []
        for s in sorted(created, key=lambda s: len(ctx.chain(s.code) or ())):
            parent = ctx.orgs[s.parent].obj if s.parent else None
            base = parent.path if parent is not None else ""
            last_position[base] += 1
            path = base + _encode(last_position[base], alphabet, steplen)
            s.obj = Organization(code=s.code, name=s.name, kind=s.kind, founded_on=s.founded_on,
                                 term_started_on=s.term_started_on, term_years=s.term_years,
                                 path=path, depth=len(path) // steplen, numchild=0)
            new_objs.append(s.obj)
            if parent is not None:
                parent.numchild += 1
                if parent.pk is not None:
                    touched[parent.pk] = parent
        Organization.objects.bulk_create(new_objs, batch_size=BATCH_SIZE)
        update_rows(Organization, list(touched.values()), ["numchild"])

    # --- export ----------------------------------------------------------------------------------

    def sample_rows(self) -> list[list[Any]]:
        return [["D001", "示例集团党委", "党委", "", dt.date(2000, 7, 1), dt.date(2023, 6, 30), 5],
                ["D001-01", "示例第一党支部", "党支部", "D001", dt.date(2005, 7, 1), dt.date(2024, 6, 28), None]]

    def export_rows(self, ectx) -> Iterator[list[Any]]:
        for org in ectx.orgs:
            parent = ectx.org_code_by_path.get(org.path[: -Organization.steplen]) if org.depth > 1 else None
            yield [org.code, org.name, kind_label(org.kind), parent or "", org.founded_on, org.term_started_on,
                   org.term_years]


def _encode(number: int, alphabet: str, width: int) -> str:
    base = len(alphabet)
    digits = ""
    while number:
        number, rest = divmod(number, base)
        digits = alphabet[rest] + digits
    if len(digits) > width:
        raise OverflowError("too many children for one organization")
    return digits.rjust(width, alphabet[0])
