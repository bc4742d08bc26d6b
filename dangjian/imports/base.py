"""The import context shared by the sheet handlers, and the handler base class.

An import runs in phases over every registered handler (see `importer.import_workbook`):

1. parse  — each present sheet's rows become planned states, overlaid on the database's current state;
2. check  — cross-row and cross-sheet validation against the *final* state (workbook over database);
3. write  — bulk writes in registry order (organizations, teams, members …), only if there is no error;
4. link   — references that need rows written by a later handler (a team's contact member).

The context loads each kind of existing row once (a constant number of queries) and keeps the final state
in memory: `orgs` and `teams` by code; member rows by 身份证号 (database members are looked up on demand).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

from django.db import connections, router
from django.db.models import F, Field, Model

from dangjian.core.audit import audit_entry
from dangjian.core.models import AuditAction, AuditEntry
from dangjian.core.scoping import Scope
from dangjian.orgs.models import Member, MemberPost, Organization, OrgKind, PartyPost, WorkTeam
from dangjian.orgs.rules import OrgRef

from .workbook import ImportIssue, SheetData, SheetRow, SheetSpec

T = TypeVar("T")
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ACTION_LABELS = {CREATED: "新增", UPDATED: "修改", UNCHANGED: "未变"}
NO_PERMISSION = "无权导入该组织的数据"
BATCH_SIZE = 1000
_SEP = "\x1f"  # separates codes in the virtual paths used for validation
_ORG_KINDS = frozenset(OrgKind.values)
LOAD_ALL_MEMBERS_ABOVE = 500  # people named by a workbook; above this, one query loads every member
UNIQUE_POSTS = (PartyPost.SECRETARY, PartyPost.GROUP_LEADER)


@dataclass
class Change:
    """One planned change, for the preview."""

    sheet: str
    row: int
    action: str  # CREATED or UPDATED
    key: str  # a code or 身份证号
    name: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column, before, after)

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "action": self.action, "key": self.key, "name": self.name,
                "fields": [list(f) for f in self.fields]}


@dataclass
class OrgState:
    """An organization as it will be after the import."""

    code: str
    name: str
    kind: str
    parent: str | None
    founded_on: dt.date | None = None
    term_started_on: dt.date | None = None
    term_years: int | None = None
    obj: Organization | None = None  # the database row, if it exists
    current_parent: str | None = None  # the parent in the database
    sheet_row: SheetRow | None = None  # the workbook row that sets it, if any
    action: str = ""
    before: dict | None = None

    @property
    def row(self) -> int | None:
        return self.sheet_row.number if self.sheet_row else None


@dataclass
class TeamState:
    code: str
    name: str
    branch: str | None  # an organization code
    staff_count: int | None = None
    contact: str | None = None  # 身份证号 of the contact member
    obj: WorkTeam | None = None
    current_branch: str | None = None
    current_contact: str | None = None
    sheet_row: SheetRow | None = None
    action: str = ""
    before: dict | None = None

    @property
    def row(self) -> int | None:
        return self.sheet_row.number if self.sheet_row else None


@dataclass(frozen=True)
class MemberView:
    """What other sheets need to know of a member in the final state."""

    id_number: str
    name: str
    category: str
    branch: str | None  # organization code
    pk: int | None


def display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


class ImportContext:
    def __init__(self, *, actor, scope: Scope | None, today: dt.date, present: Iterable[str]):
        self.actor = actor
        self.scope = scope
        self.today = today
        self.present = set(present)
        self.errors: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []  # reported with the result; they do not stop the import
        self.summary: dict[str, dict[str, int]] = {}
        self.changes: list[Change] = []
        self.audit_entries: list[AuditEntry] = []
        # parsed rows by sheet, for handlers that keep a list (handlers are shared, so state lives here)
        self.sheet_rows: dict[str, list[Any]] = {}
        # member rows of the workbook by 身份证号 (filled by the 党员 handler)
        self.member_rows: dict[str, Any] = {}
        self._chains: dict[str, tuple[str, ...] | None] = {}
        self._members: dict[str, Member] = {}
        self._posts: dict[int, dict[str, int]] = {}
        self._member_ids_loaded: set[str] = set()
        self._all_members_loaded = False

    # --- issues and counts ---------------------------------------------------------------------

    def error(self, sheet: str, row: SheetRow | int | None, column: str, message: str) -> None:
        """Record an error; a message about a cell that already failed to read is dropped."""
        if isinstance(row, SheetRow):
            if column in row.bad:
                return
            row.bad.add(column)
            number: int | None = row.number
        else:
            number = row
        self.errors.append(ImportIssue(sheet, number, column, message))

    def warn(self, sheet: str, row: SheetRow | int | None, column: str, message: str) -> None:
        number = row.number if isinstance(row, SheetRow) else row
        self.warnings.append(ImportIssue(sheet, number, column, message))

    def count(self, sheet: str, action: str) -> None:
        counts = self.summary.setdefault(sheet, {CREATED: 0, UPDATED: 0, UNCHANGED: 0})
        counts[action] += 1

    def start_sheet(self, spec: SheetSpec) -> None:
        self.summary.setdefault(spec.name, {CREATED: 0, UPDATED: 0, UNCHANGED: 0})

    def audit(self, *, action: str, obj, before: dict | None, after: dict | None, org_path: str) -> None:
        self.audit_entries.append(audit_entry(actor=self.actor, action=action, obj=obj, before=before, after=after,
                                              org_path=org_path, source="import"))

    # --- the database, loaded once -------------------------------------------------------------

    @cached_property
    def db_orgs(self) -> dict[str, Organization]:
        return {o.code: o for o in Organization.objects.all()}

    @cached_property
    def org_by_pk(self) -> dict[int, Organization]:
        return {o.pk: o for o in self.db_orgs.values()}

    @cached_property
    def org_code_by_path(self) -> dict[str, str]:
        return {o.path: o.code for o in self.db_orgs.values()}

    def db_parent_code(self, org: Organization) -> str | None:
        if org.depth <= 1:
            return None
        return self.org_code_by_path.get(org.path[: -Organization.steplen])

    @cached_property
    def db_teams(self) -> dict[str, WorkTeam]:
        teams = WorkTeam.objects.annotate(contact_id_number=F("contact_member__id_number"))
        return {t.code: t for t in teams}

    @cached_property
    def team_code_by_pk(self) -> dict[int, str]:
        return {t.pk: t.code for t in self.db_teams.values()}

    def load_members(self, id_numbers: Iterable[str]) -> None:
        """Load the database rows (and posts) of the people a sheet names: two queries per call.

        A small workbook loads only its own people, so that a one-row import stays fast in a large system;
        a large one loads every member at once rather than sending an enormous IN list.
        """
        wanted = {i for i in id_numbers if i} - self._member_ids_loaded
        if not wanted or self._all_members_loaded:
            return
        if len(wanted) > LOAD_ALL_MEMBERS_ABOVE:
            members, posts = Member.objects.all(), MemberPost.objects.all()
            self._all_members_loaded = True
        else:
            members = Member.objects.filter(id_number__in=wanted)
            posts = MemberPost.objects.filter(member__id_number__in=wanted)
        for member in members:
            self._members[member.id_number] = member
        for pk, member_id, post in posts.values_list("pk", "member_id", "post"):
            self._posts.setdefault(member_id, {})[post] = pk
        self._member_ids_loaded |= wanted

    def db_member(self, id_number: str) -> Member | None:
        """The database row of a person, if any (loaded on demand if a handler did not load it first)."""
        if not id_number:
            return None
        if id_number not in self._member_ids_loaded and not self._all_members_loaded:
            self.load_members([id_number])
        return self._members.get(id_number)

    def member_posts(self, member_pk: int) -> dict[str, int]:
        """{post: MemberPost pk} of a loaded member."""
        return self._posts.get(member_pk, {})

    @cached_property
    def unique_post_holders(self) -> list[tuple[str, str, str, int, int | None]]:
        """(post, 身份证号, name, branch pk, group pk) of every 书记 and 党小组长 in the database (one query)."""
        return list(MemberPost.objects.filter(post__in=UNIQUE_POSTS).values_list(
            "post", "member__id_number", "member__name", "member__branch_id", "member__group_id"))

    # --- the final state -----------------------------------------------------------------------

    @cached_property
    def orgs(self) -> dict[str, OrgState]:
        """Every organization after the import: the database's, overlaid by the 组织 sheet's rows."""
        out = {}
        for org in self.db_orgs.values():
            parent = self.db_parent_code(org)
            out[org.code] = OrgState(code=org.code, name=org.name, kind=org.kind, parent=parent,
                                     founded_on=org.founded_on, term_started_on=org.term_started_on,
                                     term_years=org.term_years, obj=org, current_parent=parent)
        return out

    @cached_property
    def teams(self) -> dict[str, TeamState]:
        out = {}
        for team in self.db_teams.values():
            branch = self.org_by_pk[team.branch_id].code
            contact = getattr(team, "contact_id_number", None)
            out[team.code] = TeamState(code=team.code, name=team.name, branch=branch, staff_count=team.staff_count,
                                       contact=contact, obj=team, current_branch=branch, current_contact=contact)
        return out

    def final_member(self, id_number: str) -> MemberView | None:
        row = self.member_rows.get(id_number)
        if row is not None:
            return row.view()
        member = self.db_member(id_number)
        if member is None:
            return None
        return MemberView(id_number=id_number, name=member.name, category=member.category,
                          branch=self.org_by_pk[member.branch_id].code, pk=member.pk)

    def chain(self, code: str) -> tuple[str, ...] | None:
        """Codes from the root down to `code` in the final tree; None if the chain is broken or a cycle."""
        if code in self._chains:
            return self._chains[code]
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        result: tuple[str, ...] | None = None
        while current is not None:
            if current in self._chains:
                above = self._chains[current]
                result = None if above is None else above + tuple(reversed(path))
                break
            state = self.orgs.get(current)
            if state is None or current in seen:
                break
            seen.add(current)
            path.append(current)
            if state.parent is None:
                result = tuple(reversed(path))
                break
            current = state.parent
        for i, c in enumerate(path):
            self._chains[c] = None if result is None else result[: len(result) - i]
        return result

    def org_ref(self, code: str | None) -> OrgRef | None:
        """The rules' view of an organization in the final state (with a virtual path for subtree tests)."""
        if not code:
            return None
        state = self.orgs.get(code)
        if state is None or state.kind not in _ORG_KINDS:
            return None
        chain = self.chain(code)
        path = _SEP.join(chain) + _SEP if chain else ""
        return OrgRef(code=code, kind=state.kind, path=path, depth=len(chain) if chain else 0, name=state.name)

    # --- the write phases: every organization and team of the final state has its row ------------

    def org_obj(self, code: str | None) -> Organization:
        return saved(self.orgs[code].obj if code else None)

    def org_pk(self, code: str | None) -> int | None:
        return self.org_obj(code).pk if code else None

    def team_pk(self, code: str | None) -> int | None:
        return saved(self.teams[code].obj).pk if code else None

    # --- scope ---------------------------------------------------------------------------------

    @cached_property
    def _admin_codes(self) -> set[str]:
        paths = self.scope.admin_paths if self.scope else ()
        return {self.org_code_by_path[p] for p in paths if p in self.org_code_by_path}

    @cached_property
    def _officer_codes(self) -> set[str]:
        paths = self.scope.officer_paths if self.scope else ()
        return {self.org_code_by_path[p] for p in paths if p in self.org_code_by_path}

    @property
    def unrestricted(self) -> bool:
        return self.scope is None or self.scope.is_admin

    def manages_final(self, code: str | None) -> bool:
        """May the user import members and teams of this organization (as it will be placed)?"""
        if self.unrestricted or not code:
            return True
        chain = self.chain(code)
        if chain is None:
            return True  # a broken chain is reported as an error of its own
        managed = self._admin_codes | self._officer_codes
        return any(c in managed for c in chain)

    def may_add_org(self, parent: str | None, kind: str) -> bool:
        """May the user put an organization of this kind under `parent` (as it will be placed)?"""
        if self.unrestricted:
            return True
        if parent is None:
            return False
        chain = self.chain(parent)
        if chain is None:
            return True
        if any(c in self._admin_codes for c in chain):
            return True
        return kind == OrgKind.GROUP and parent in self._officer_codes

    def sees_current(self, org: Organization) -> bool:
        return self.unrestricted or self.scope.sees_org(org)  # type: ignore[union-attr]

    def manages_current(self, org: Organization) -> bool:
        return self.unrestricted or self.scope.manages_org(org)  # type: ignore[union-attr]

    def is_ancestor_of_scope(self, org: Organization) -> bool:
        """An organization above the user's own (a subtree export carries these rows)."""
        if self.scope is None:
            return True
        return any(p.startswith(org.path) for p in self.scope.manage_paths)


class SheetHandler:
    """One sheet of the standard workbook. Subclasses implement the phases they need."""

    spec: SheetSpec
    order: int = 100  # registry order: parse, check, write and link run in this order

    def parse(self, ctx: ImportContext, sheet: SheetData) -> None:
        raise NotImplementedError

    def check(self, ctx: ImportContext) -> None:
        """Cross-row and cross-sheet validation; runs for every handler, also when its sheet is absent."""

    def write(self, ctx: ImportContext) -> None:
        """Bulk writes (only when there is no error at all)."""

    def link(self, ctx: ImportContext) -> None:
        """Writes that need rows of later handlers (runs after every handler's write)."""

    # export and template
    def sample_rows(self) -> list[list[Any]]:
        """Rows of the empty template (valid together with the other sheets' samples)."""
        return []

    def export_rows(self, ectx) -> Iterable[list[Any]]:
        """Rows of an export, in the order of `spec.columns`; `ectx` is an exporter.ExportContext."""
        return []


def saved(obj: T | None) -> T:
    """The database row of a state in the write phases (where every state has one)."""
    assert obj is not None
    return obj


def update_rows(model: type[Model], objs: list[Any], fields: list[str]) -> None:
    """Save `fields` of existing rows: one parameterised UPDATE per row, sent with executemany in batches.

    Django's bulk_update builds a CASE expression per field and batch, which is slow for tens of thousands of
    rows; this does the same writes with one prepared statement.
    """
    if not objs or not fields:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [cast(Field, meta.get_field(f)) for f in fields]
    qn = connection.ops.quote_name
    assert meta.pk is not None
    sql = (f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(str(c.column))} = %s' for c in columns)} "
           f"WHERE {qn(str(meta.pk.column))} = %s")
    params = [[c.get_db_prep_save(getattr(o, c.attname), connection) for c in columns] + [o.pk] for o in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(params), BATCH_SIZE):
            cursor.executemany(sql, params[start:start + BATCH_SIZE])


def create_update_lists(states: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    created = [s for s in states if s.action == CREATED]
    updated = [s for s in states if s.action == UPDATED]
    return created, updated


AUDIT_CREATE, AUDIT_UPDATE = AuditAction.CREATE, AuditAction.UPDATE
