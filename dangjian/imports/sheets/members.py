"""Sheet 党员: the roster, keyed by 身份证号, with categories, dates and 党内职务."""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from dangjian.core.audit import snapshot
from dangjian.core.idcard import IdNumberError, parse_id_number
from dangjian.orgs import rules
from dangjian.orgs.models import Category, Member, MemberPost, PartyPost, WorkStatus
from dangjian.orgs.rules import FIELD_LABELS, MEMBER_DATE_FIELDS

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
    MemberView,
    SheetHandler,
    display,
    saved,
    update_rows,
)
from ..samples import SAMPLE_ID_NUMBER
from ..workbook import CODE, DATE, ID_NUMBER, TEXT, Cells, Column, SheetData, SheetRow, SheetSpec

SHEET = "党员"
_CATEGORIES = "/".join(Category.labels)
SPEC = SheetSpec(SHEET, (
    Column("身份证号", ID_NUMBER, True, "18位，末位可为X；请把该列设为文本格式，否则Excel会丢失末几位。再次导入时按身份证号更新", 22),
    Column("姓名", TEXT, True, "", 10),
    Column("人员类别", TEXT, True, _CATEGORIES, 12),
    Column("所在组织编码", CODE, True, "所在党支部的组织编码", 14),
    Column("党小组编码", CODE, False, "所在党支部下的党小组编码", 12),
    Column("党内职务", TEXT, False, f"{'、'.join(PartyPost.values)}；多个用“、”分隔；须为正式党员", 16),
    Column("申请入党日期", DATE, False, "日期；申请时须年满18岁", 13),
    Column("确定积极分子日期", DATE, False, "日期", 15),
    Column("确定发展对象日期", DATE, False, "日期", 15),
    Column("接收预备党员日期", DATE, False, "日期", 15),
    Column("转正日期", DATE, False, "日期；各日期须按入党程序先后排列，并与人员类别一致", 12),
    Column("民族", TEXT, False, "", 8),
    Column("学历", TEXT, False, "", 10),
    Column("岗位", TEXT, False, "", 14),
    Column("行政职务", TEXT, False, "", 14),
    Column("手机号码", TEXT, False, "", 14),
    Column("班组编码", CODE, False, "本支部的班组编码", 12),
    Column("工作状态", TEXT, False, f"{'/'.join(WorkStatus.values)}，留空为在岗", 10),
), help="党员名册：入党申请人、入党积极分子、发展对象、预备党员、正式党员")

COLUMN = {v: k for k, v in FIELD_LABELS.items()}  # header -> field
TEXT_FIELDS = ["ethnicity", "education", "job_post", "admin_title", "phone"]
VALUE_FIELDS = ["name", "category", *MEMBER_DATE_FIELDS, *TEXT_FIELDS, "work_status"]
CATEGORY_BY_LABEL = {c.label: c.value for c in Category}
_POST_SPLIT = re.compile(r"[、,，;；/\s]+")


def _max_length(field_name: str) -> int:
    return getattr(Member._meta.get_field(field_name), "max_length", None) or 0


MAX_LENGTHS = {f: _max_length(f) for f in ["ethnicity", "education", "job_post", "admin_title"]}


@dataclass
class MemberRow:
    sheet_row: SheetRow
    id_number: str
    valid_id: bool
    values: dict[str, Any]  # VALUE_FIELDS
    branch: str | None
    group: str | None
    team: str | None
    posts: list[str]
    obj: Member | None = None
    action: str = ""
    before: dict | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def row(self) -> int:
        return self.sheet_row.number

    def view(self) -> MemberView:
        return MemberView(id_number=self.id_number, name=self.values["name"], category=self.values["category"],
                          branch=self.branch, pk=self.obj.pk if self.obj is not None else None)


def category_label(value: str) -> str:
    return rules.category_label(value)


class MemberSheet(SheetHandler):
    spec = SPEC
    order = 30

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        ctx.start_sheet(SPEC)
        rows = ctx.sheet_rows.setdefault(SHEET, [])
        cells = Cells(SHEET, ctx.errors)
        quiet = Cells(SHEET, [])
        ctx.load_members(quiet.id_number(SheetRow(r.number, r.values), "身份证号") for r in sheet.rows)
        seen: dict[str, int] = {}
        for row in sheet.rows:
            id_number = cells.id_number(row, "身份证号")
            if not id_number and "身份证号" not in row.bad:
                cells.error(row, "身份证号", "不能为空")
            existing = ctx.db_member(id_number)
            values: dict[str, Any] = {}
            for f in VALUE_FIELDS:
                header = FIELD_LABELS[f]
                if not sheet.has(header):
                    values[f] = getattr(existing, f) if existing is not None else _default(f)
                elif f in MEMBER_DATE_FIELDS:
                    values[f] = cells.date(row, header)
                elif f in ("name", "category"):
                    values[f] = cells.required_text(row, header)
                else:
                    values[f] = cells.text(row, header)
            values["category"] = CATEGORY_BY_LABEL.get(values["category"], values["category"])
            if not values["work_status"]:
                values["work_status"] = WorkStatus.WORKING
            branch = cells.required_text(row, "所在组织编码") or None
            group = self._ref(cells, sheet, row, "党小组编码", existing, lambda m: m.group_id, ctx.org_by_pk)
            team = self._ref(cells, sheet, row, "班组编码", existing, lambda m: m.team_id, ctx.team_code_by_pk)
            if sheet.has("党内职务"):
                posts = [p for p in _POST_SPLIT.split(cells.text(row, "党内职务")) if p]
            else:
                posts = sorted(ctx.member_posts(existing.pk)) if existing is not None else []
            member_row = MemberRow(sheet_row=row, id_number=id_number, valid_id=_valid(id_number), values=values,
                                   branch=branch, group=group, team=team, posts=posts, obj=existing)
            rows.append(member_row)
            if not member_row.valid_id:
                continue
            if id_number in seen:
                ctx.error(SHEET, row, "身份证号", f"身份证号与第{seen[id_number]}行重复")
                member_row.valid_id = False
                continue
            seen[id_number] = row.number
            ctx.member_rows[id_number] = member_row

    @staticmethod
    def _ref(cells: Cells, sheet: SheetData, row: SheetRow, header: str, existing: Member | None, attr, by_pk):
        if sheet.has(header):
            return cells.code(row, header) or None
        if existing is None or attr(existing) is None:
            return None
        target = by_pk.get(attr(existing))
        return getattr(target, "code", target)

    # --- checking --------------------------------------------------------------------------------

    def check(self, ctx: ImportContext) -> None:
        rows: list[MemberRow] = ctx.sheet_rows.get(SHEET, [])
        if not rows:
            return
        for r in rows:
            self._check_row(ctx, r)
        self._check_unique_posts(ctx, [r for r in rows if r.valid_id])
        for r in rows:
            if r.valid_id:
                self._classify(ctx, r)

    def _check_row(self, ctx: ImportContext, r: MemberRow) -> None:
        row = r.sheet_row
        unresolved: set[str] = set()
        for fname, code in (("branch", r.branch), ("group", r.group)):
            if code and code not in ctx.orgs:
                ctx.error(SHEET, row, FIELD_LABELS[fname], f"组织编码“{code}”不存在：组织表中没有，系统中也没有")
                unresolved.add(fname)
        team = ctx.teams.get(r.team) if r.team else None
        if r.team and team is None:
            ctx.error(SHEET, row, "班组编码", f"班组编码“{r.team}”不存在：班组表中没有，系统中也没有")
        data = rules.MemberData(
            id_number=r.id_number, name=r.values["name"], category=r.values["category"],
            branch=ctx.org_ref(r.branch), group=ctx.org_ref(r.group),
            team_branch_code=team.branch if team is not None else None, posts=r.posts,
            phone=r.values["phone"], work_status=r.values["work_status"],
            **{f: r.values[f] for f in MEMBER_DATE_FIELDS},
        )
        for fname, message in rules.check_member(data, today=ctx.today):
            if fname in unresolved or (fname == "branch" and r.branch and data.branch is None):
                continue
            if fname == "group" and data.group is None:
                continue
            ctx.error(SHEET, row, FIELD_LABELS.get(fname, fname), message)
        for fname, limit in MAX_LENGTHS.items():
            if len(r.values[fname] or "") > limit:
                ctx.error(SHEET, row, FIELD_LABELS[fname], f"不能超过{limit}个字")
        if not ctx.manages_final(r.branch):
            ctx.error(SHEET, row, "所在组织编码", NO_PERMISSION)
        elif r.obj is not None and not ctx.sees_current(ctx.org_by_pk[r.obj.branch_id]):
            ctx.error(SHEET, row, "身份证号", NO_PERMISSION)

    def _check_unique_posts(self, ctx: ImportContext, rows: list[MemberRow]) -> None:
        """One 书记 per branch and one 党小组长 per 党小组, over the workbook and the database together."""
        unique: dict[str, tuple[str, str]] = {
            PartyPost.SECRETARY: ("branch", "本支部已有书记"), PartyPost.GROUP_LEADER: ("group", "该党小组已有党小组长")}
        holders: dict[tuple[str, str], tuple[str, int | None]] = {}  # (post, org code) -> (name, row) of the first
        for post, id_number, name, branch_id, group_id in ctx.unique_post_holders:
            org_id = branch_id if unique[post][0] == "branch" else group_id
            if id_number not in ctx.member_rows and org_id is not None:
                holders.setdefault((post, ctx.org_by_pk[org_id].code), (name, None))
        for r in rows:
            for post, (attr, message) in unique.items():
                code = getattr(r, attr)
                if post not in r.posts or not code:
                    continue
                name, number = holders.setdefault((post, code), (r.values["name"], r.row))
                if number != r.row:
                    where = f"（第{number}行）" if number else ""
                    ctx.error(SHEET, r.sheet_row, "党内职务", f"{message}：{name}{where}")

    @staticmethod
    def _final_ids(ctx: ImportContext, r: MemberRow) -> dict[str, Any]:
        return {"branch": ctx.org_pk(r.branch), "group": ctx.org_pk(r.group), "team": ctx.team_pk(r.team)}

    def _classify(self, ctx: ImportContext, r: MemberRow) -> None:
        if r.obj is None:
            r.action = CREATED
            ctx.count(SHEET, CREATED)
            ctx.changes.append(Change(SHEET, r.row, CREATED, r.id_number, r.values["name"], [
                ("人员类别", "", category_label(r.values["category"])), ("所在组织编码", "", r.branch or "")]))
            return
        m = r.obj
        current_posts = sorted(ctx.member_posts(m.pk))
        current = {
            "branch": ctx.org_by_pk[m.branch_id].code,
            "group": ctx.org_by_pk[m.group_id].code if m.group_id else None,
            "team": ctx.team_code_by_pk.get(m.team_id) if m.team_id else None,
        }
        diff = []
        for f in VALUE_FIELDS:
            if getattr(m, f) != r.values[f]:
                r.changed.append(f)
                before, after = getattr(m, f), r.values[f]
                if f == "category":
                    before, after = category_label(before), category_label(after)
                diff.append((FIELD_LABELS[f], display(before), display(after)))
        for f in ("branch", "group", "team"):
            if current[f] != getattr(r, f):
                r.changed.append(f)
                diff.append((FIELD_LABELS[f], display(current[f]), display(getattr(r, f))))
        if current_posts != sorted(set(r.posts)):
            r.changed.append("posts")
            diff.append(("党内职务", display(current_posts), display(r.posts)))
        if not diff:
            r.action = UNCHANGED
            ctx.count(SHEET, UNCHANGED)
            return
        r.action = UPDATED
        r.before = member_snapshot(m, current["branch"], current["group"], current["team"], current_posts)
        ctx.count(SHEET, UPDATED)
        ctx.changes.append(Change(SHEET, r.row, UPDATED, r.id_number, r.values["name"], diff))

    # --- writing ---------------------------------------------------------------------------------

    def write(self, ctx: ImportContext) -> None:
        rows: list[MemberRow] = ctx.sheet_rows.get(SHEET, [])
        created = [r for r in rows if r.action == CREATED]
        updated = [r for r in rows if r.action == UPDATED]
        if not created and not updated:
            return
        new_objs = []
        for r in created:
            info = parse_id_number(r.id_number)
            ids = self._final_ids(ctx, r)
            r.obj = Member(id_number=r.id_number, birth_date=info.birth_date, gender=info.gender,
                           branch_id=ids["branch"], group_id=ids["group"], team_id=ids["team"], **r.values)
            new_objs.append(r.obj)
        Member.objects.bulk_create(new_objs, batch_size=BATCH_SIZE)

        now = timezone.now()
        fields: set[str] = set()
        changed_rows = []
        for r in updated:
            member, ids = saved(r.obj), self._final_ids(ctx, r)
            for f in r.changed:
                if f in ids:
                    setattr(member, f"{f}_id", ids[f])
                    fields.add(f)
                elif f != "posts":
                    setattr(member, f, r.values[f])
                    fields.add(f)
            member.updated_at = now
            if set(r.changed) - {"posts"}:
                changed_rows.append(member)
        update_rows(Member, changed_rows, sorted(fields | {"updated_at"}))
        self._write_posts(ctx, created, updated)
        for r in created:
            ctx.audit(action=AUDIT_CREATE, obj=r.obj, before=None, after=self._after(r),
                      org_path=ctx.org_obj(r.branch).path)
        for r in updated:
            ctx.audit(action=AUDIT_UPDATE, obj=r.obj, before=r.before, after=self._after(r),
                      org_path=ctx.org_obj(r.branch).path)

    @staticmethod
    def _after(r: MemberRow) -> dict:
        return member_snapshot(saved(r.obj), r.branch, r.group, r.team, sorted(set(r.posts)))

    @staticmethod
    def _write_posts(ctx: ImportContext, created: list[MemberRow], updated: list[MemberRow]) -> None:
        new_posts, stale = [], []
        for r in created:
            new_posts += [MemberPost(member_id=saved(r.obj).pk, post=p) for p in sorted(set(r.posts))]
        for r in updated:
            if "posts" not in r.changed:
                continue
            pk = saved(r.obj).pk
            current = ctx.member_posts(pk)
            stale += [post_pk for post, post_pk in current.items() if post not in r.posts]
            new_posts += [MemberPost(member_id=pk, post=p) for p in sorted(set(r.posts) - set(current))]
        for i in range(0, len(stale), 500):
            MemberPost.objects.filter(pk__in=stale[i:i + 500]).delete()
        MemberPost.objects.bulk_create(new_posts, batch_size=BATCH_SIZE)

    # --- export ----------------------------------------------------------------------------------

    def sample_rows(self) -> list[list[Any]]:
        return [[SAMPLE_ID_NUMBER, "张示例", "正式党员", "D001-01", "", "书记", dt.date(2006, 3, 1), dt.date(2006, 9, 1),
                dt.date(2007, 9, 1), dt.date(2008, 7, 1), dt.date(2009, 7, 1), "汉族", "大学本科", "装卸工",
                "班长", "13800000000", "BZ001", "在岗"]]

    def export_rows(self, ectx) -> Iterator[list[Any]]:
        for m in ectx.members:
            posts = ectx.posts.get(m.pk, [])
            yield [
                ectx.id_number(m.id_number), m.name, category_label(m.category), ectx.org_code_by_pk[m.branch_id],
                ectx.org_code_by_pk.get(m.group_id, "") if m.group_id else "", "、".join(posts),
                m.applied_on, m.activist_on, m.candidate_on, m.admitted_on, m.full_on,
                m.ethnicity, m.education, m.job_post, m.admin_title, ectx.phone(m.phone),
                ectx.team_code_by_pk.get(m.team_id, "") if m.team_id else "", m.work_status,
            ]


def _default(field_name: str) -> Any:
    if field_name in MEMBER_DATE_FIELDS:
        return None
    if field_name == "work_status":
        return WorkStatus.WORKING
    return ""


def _valid(id_number: str) -> bool:
    if not id_number:
        return False
    try:
        parse_id_number(id_number)
    except IdNumberError:
        return False
    return True


def member_snapshot(member: Member, branch: str | None, group: str | None, team: str | None,
                    posts: list[str]) -> dict:
    """The shape of orgs.services.member_snapshot, from values known in memory."""
    return snapshot(member, extra={"branch": branch, "group": group, "team": team, "posts": posts})
