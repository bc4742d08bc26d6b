"""Import of the standard workbook: all-or-nothing, every error reported, re-import updates by key.

    result = import_workbook(path_or_file, actor=user, dry_run=True, scope=get_scope(user))

The sheets are handled by the registry in `dangjian.imports.sheets` (组织, 班组, 党员 …). Validation reuses
`dangjian.orgs.rules`; existing rows are loaded once per kind, the new state is checked in memory, and the
changes are written in bulk inside one transaction together with their audit entries.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.core.scoping import Scope
from dangjian.points.accrual import accrue_imported

from .base import BATCH_SIZE, CREATED, UNCHANGED, UPDATED, Change, ImportContext
from .sheets import handlers
from .workbook import FILE_COLUMN, FILE_SHEET, ImportIssue, WorkbookError, read_workbook

logger = logging.getLogger(__name__)

__all__ = ["Change", "ImportIssue", "ImportResult", "import_workbook"]


@dataclass
class ImportResult:
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    summary: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_changes(self) -> int:
        return sum(c[CREATED] + c[UPDATED] for c in self.summary.values())

    def summary_lines(self) -> list[str]:
        return [f"{sheet}：新增{c[CREATED]}，修改{c[UPDATED]}，未变{c[UNCHANGED]}" for sheet, c in self.summary.items()]

    def as_dict(self, *, changes_per_sheet: int = 50) -> dict[str, Any]:
        """A JSON-able form (for ImportBatch): all issues, and a sample of the changes of each sheet."""
        sample: list[dict] = []
        taken: dict[str, int] = {}
        for change in self.changes:
            if taken.get(change.sheet, 0) < changes_per_sheet:
                taken[change.sheet] = taken.get(change.sheet, 0) + 1
                sample.append(change.as_dict())
        return {"errors": [e.as_dict() for e in self.errors], "warnings": [w.as_dict() for w in self.warnings],
                "summary": self.summary, "changes": sample}


def _sorted(issues: list[ImportIssue]) -> list[ImportIssue]:
    """File-level issues first, then by sheet in registry order and by row (stable within a row)."""
    order = {h.spec.name: i for i, h in enumerate(handlers())}

    def key(issue: ImportIssue):
        return (order.get(issue.sheet, -1 if issue.sheet == FILE_SHEET else 99), issue.row or 0)

    return sorted(issues, key=key)


class _Rollback(Exception):
    pass


def import_workbook(source: str | Path | IO[bytes], *, actor, dry_run: bool, scope: Scope | None = None,
                    today: dt.date | None = None) -> ImportResult:
    """Check the workbook and, unless `dry_run` or there is any error, write it (all or nothing).

    `scope` limits the rows to the user's organizations (None: unrestricted, as for the command line).
    """
    result = ImportResult(dry_run=dry_run)
    registry = handlers()
    try:
        book = read_workbook(source, [h.spec for h in registry])
    except WorkbookError as exc:
        result.errors.append(ImportIssue(FILE_SHEET, None, FILE_COLUMN, str(exc)))
        return result
    result.warnings = book.warnings
    if book.errors:
        result.errors = _sorted(book.errors)
        return result

    ctx = ImportContext(actor=actor, scope=scope, today=today or timezone.localdate(), present=book.sheets)

    def plan() -> None:
        for handler in registry:
            sheet = book.sheets.get(handler.spec.name)
            if sheet is not None:
                handler.parse(ctx, sheet)
        for handler in registry:
            handler.check(ctx)

    if dry_run:
        plan()
    else:
        try:
            with transaction.atomic():
                plan()
                if ctx.errors:
                    raise _Rollback
                for handler in registry:
                    handler.write(ctx)
                for handler in registry:
                    handler.link(ctx)
                accrue_imported(ctx)  # member points (党员积分) follow the imported activities and attendance
                AuditEntry.objects.bulk_create(ctx.audit_entries, batch_size=BATCH_SIZE)
            result.written = True
        except _Rollback:
            pass
        except DatabaseError:
            logger.exception("workbook import failed while writing")
            ctx.errors.append(ImportIssue(FILE_SHEET, None, FILE_COLUMN,
                                          "写入数据库时出错，已全部撤销，没有写入任何数据；请稍后重试或联系系统管理员"))
    result.errors = _sorted(ctx.errors)
    result.warnings = [*book.warnings, *_sorted(ctx.warnings)]
    result.summary = {h.spec.name: ctx.summary[h.spec.name] for h in registry if h.spec.name in ctx.summary}
    result.changes = ctx.changes
    if result.errors:
        result.written = False
    return result
