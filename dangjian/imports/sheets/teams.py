"""Sheet 班组: work teams of a 党支部 and their "1+1" contact member."""

from collections.abc import Iterator
from typing import Any

from dangjian.core.audit import snapshot
from dangjian.orgs import rules
from dangjian.orgs.models import Member, WorkTeam

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
    SheetHandler,
    TeamState,
    create_update_lists,
    display,
    saved,
    update_rows,
)
from ..samples import SAMPLE_ID_NUMBER
from ..workbook import CODE, ID_NUMBER, INTEGER, TEXT, Cells, Column, SheetData, SheetSpec

SHEET = "班组"
SPEC = SheetSpec(SHEET, (
    Column("班组编码", CODE, True, "班组的唯一编码（按文本处理）；再次导入时按编码更新", 14),
    Column("班组名称", TEXT, True, "", 24),
    Column("所属组织编码", CODE, True, "班组所属党支部的组织编码", 14),
    Column("职工人数", INTEGER, False, "整数", 10),
    Column("联系党员身份证号", ID_NUMBER, False, "“1+1”联系本班组的党员（须为本支部的预备党员或正式党员）；"
           "可以是本工作簿党员表中的人员", 22),
), help="班组（红色班组“1+1”联系）")

COLUMN = {"code": "班组编码", "name": "班组名称", "branch": "所属组织编码", "staff_count": "职工人数",
          "contact_member": "联系党员身份证号"}
FIELDS = ["name", "branch", "staff_count", "contact"]
FIELD_COLUMN = {"name": "班组名称", "branch": "所属组织编码", "staff_count": "职工人数", "contact": "联系党员身份证号"}


class TeamSheet(SheetHandler):
    spec = SPEC
    order = 20

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        ctx.start_sheet(SPEC)
        cells = Cells(SHEET, ctx.errors)
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = cells.required_text(row, "班组编码")
            name = cells.required_text(row, "班组名称")
            branch = cells.required_text(row, "所属组织编码")
            if not code:
                continue
            if code in seen:
                ctx.error(SHEET, row, "班组编码", f"班组编码“{code}”与第{seen[code]}行重复")
                continue
            seen[code] = row.number
            existing = ctx.teams.get(code)
            state = TeamState(code=code, name=name, branch=branch or None, sheet_row=row,
                              obj=existing.obj if existing else None,
                              current_branch=existing.current_branch if existing else None,
                              current_contact=existing.current_contact if existing else None)
            if sheet.has("职工人数"):
                state.staff_count = cells.integer(row, "职工人数")
            elif existing is not None:
                state.staff_count = existing.staff_count
            if sheet.has("联系党员身份证号"):
                state.contact = cells.id_number(row, "联系党员身份证号") or None
            elif existing is not None:
                state.contact = existing.contact
            ctx.teams[code] = state
        ctx.load_members(t.contact for t in ctx.teams.values() if t.sheet_row is not None and t.contact)

    def check(self, ctx: ImportContext) -> None:
        rows = [t for t in ctx.teams.values() if t.sheet_row is not None]
        if not rows:
            return
        members_by_team: dict[int, list[str]] = {}
        moved = [t.obj.pk for t in rows if t.obj is not None and t.branch != t.current_branch]
        if moved:
            for team_id, id_number in Member.objects.filter(team_id__in=moved).values_list("team_id", "id_number"):
                if id_number not in ctx.member_rows:
                    members_by_team.setdefault(team_id, []).append(id_number)
        for t in rows:
            self._check_row(ctx, t, members_by_team)

    def _check_row(self, ctx: ImportContext, t: TeamState, members_by_team: dict[int, list[str]]) -> None:
        row = t.sheet_row
        assert row is not None
        branch_ref = ctx.org_ref(t.branch)
        if t.branch and branch_ref is None and t.branch not in ctx.orgs:
            ctx.error(SHEET, row, "所属组织编码", f"组织编码“{t.branch}”不存在：组织表中没有，系统中也没有")
        contact = None
        if t.contact:
            contact = ctx.final_member(t.contact)
            if contact is None:
                ctx.error(SHEET, row, "联系党员身份证号", "联系党员未登记：党员表和系统中都没有这个身份证号")
        for field, message in rules.check_team(code=t.code, name=t.name, branch=branch_ref, staff_count=t.staff_count,
                                               contact_category=contact.category if contact else None,
                                               contact_branch_code=contact.branch if contact else None):
            if field == "branch" and branch_ref is None and t.branch:
                continue
            ctx.error(SHEET, row, COLUMN.get(field, field), message)
        if t.obj is not None and t.branch != t.current_branch and members_by_team.get(t.obj.pk):
            ctx.error(SHEET, row, "所属组织编码", "班组中还有人员，不能改到其他党支部")
        if not ctx.manages_final(t.branch) or (t.obj is not None and not ctx.sees_current(ctx.org_by_pk[t.obj.branch_id])):
            ctx.error(SHEET, row, "所属组织编码", NO_PERMISSION)
        self._classify(ctx, t)

    def _classify(self, ctx: ImportContext, t: TeamState) -> None:
        row = t.sheet_row
        assert row is not None
        if t.obj is None:
            t.action = CREATED
            ctx.count(SHEET, CREATED)
            ctx.changes.append(Change(SHEET, row.number, CREATED, t.code, t.name, [
                (FIELD_COLUMN[f], "", self._show(ctx, f, getattr(t, f))) for f in FIELDS[1:] if getattr(t, f)]))
            return
        current = {"name": t.obj.name, "branch": t.current_branch, "staff_count": t.obj.staff_count,
                   "contact": t.current_contact}
        diff = [(FIELD_COLUMN[f], self._show(ctx, f, current[f]), self._show(ctx, f, getattr(t, f)))
                for f in FIELDS if current[f] != getattr(t, f)]
        if not diff:
            t.action = UNCHANGED
            ctx.count(SHEET, UNCHANGED)
            return
        t.action = UPDATED
        t.before = team_snapshot(t.obj, t.current_branch, self._contact_name(ctx, t.current_contact))
        ctx.count(SHEET, UPDATED)
        ctx.changes.append(Change(SHEET, row.number, UPDATED, t.code, t.name, diff))

    @staticmethod
    def _contact_name(ctx: ImportContext, id_number: str | None) -> str | None:
        if not id_number:
            return None
        view = ctx.final_member(id_number)
        return view.name if view else None

    def _show(self, ctx: ImportContext, field: str, value: Any) -> str:
        if field == "contact":
            return self._contact_name(ctx, value) or ""
        return display(value)

    # --- writing ---------------------------------------------------------------------------------

    def write(self, ctx: ImportContext) -> None:
        """Teams first without their contact member: the contact may be created by the 党员 sheet."""
        created, updated = create_update_lists(t for t in ctx.teams.values() if t.sheet_row is not None)
        new_objs = []
        for t in created:
            t.obj = WorkTeam(code=t.code, name=t.name, branch=ctx.org_obj(t.branch), staff_count=t.staff_count)
            new_objs.append(t.obj)
        WorkTeam.objects.bulk_create(new_objs, batch_size=BATCH_SIZE)
        for t in updated:
            t.obj.name, t.obj.staff_count = t.name, t.staff_count
            t.obj.branch = ctx.org_obj(t.branch)
        update_rows(WorkTeam, [t.obj for t in updated], ["name", "branch", "staff_count"])

    def link(self, ctx: ImportContext) -> None:
        created, updated = create_update_lists(t for t in ctx.teams.values() if t.sheet_row is not None)
        relinked = []
        for t in [*created, *updated]:
            if t.contact != (t.current_contact if t.action == UPDATED else None):
                view = ctx.final_member(t.contact) if t.contact else None
                team = saved(t.obj)
                team.contact_member_id = view.pk if view else None
                relinked.append(team)
        update_rows(WorkTeam, relinked, ["contact_member"])
        for t in [*created, *updated]:
            team = saved(t.obj)
            ctx.audit(action=AUDIT_CREATE if t.action == CREATED else AUDIT_UPDATE, obj=team, before=t.before,
                      org_path=ctx.org_obj(t.branch).path,
                      after=team_snapshot(team, t.branch, self._contact_name(ctx, t.contact)))

    # --- export ----------------------------------------------------------------------------------

    def sample_rows(self) -> list[list[Any]]:
        return [["BZ001", "装卸一班", "D001-01", 25, SAMPLE_ID_NUMBER]]

    def export_rows(self, ectx) -> Iterator[list[Any]]:
        for t in ectx.teams:
            yield [t.code, t.name, ectx.org_code_by_pk[t.branch_id], t.staff_count, ectx.id_number(t.contact_id_number)]


def team_snapshot(team: WorkTeam, branch_code: str | None, contact_name: str | None) -> dict:
    """The shape of orgs.services.team_snapshot, from values known in memory."""
    return snapshot(team, extra={"branch": branch_code, "contact_member": contact_name})
