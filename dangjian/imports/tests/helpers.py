"""Building small workbooks for the import tests."""

import io
from typing import Any

from openpyxl import Workbook

from dangjian.imports.sheets.members import SPEC as MEMBER_SPEC
from dangjian.imports.sheets.orgs import SPEC as ORG_SPEC
from dangjian.imports.sheets.teams import SPEC as TEAM_SPEC

ORG_HEADERS = ORG_SPEC.headers
TEAM_HEADERS = TEAM_SPEC.headers
MEMBER_HEADERS = MEMBER_SPEC.headers


def xlsx(sheets: dict[str, list[Any]]) -> io.BytesIO:
    """A workbook from {sheet name: [header row, data rows…]}; rows may be lists or dicts by header."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        headers = rows[0] if rows else []
        for row in rows:
            ws.append([row.get(h) for h in headers] if isinstance(row, dict) else list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def org_row(code, name, kind, parent="", founded=None, term_start=None, term_years=None) -> list:
    return [code, name, kind, parent, founded, term_start, term_years]


def member_row(id_number, name, category="正式党员", branch="B1", **extra) -> dict:
    row = {"身份证号": id_number, "姓名": name, "人员类别": category, "所在组织编码": branch}
    row.update(extra)
    return row


def members_sheet(*rows: dict, headers: list[str] | None = None) -> list:
    return [headers or MEMBER_HEADERS, *rows]


def db_state(world) -> tuple:
    """Counts of everything an import writes, plus field values a bad import must not have changed."""
    from dangjian.core.models import AuditEntry
    from dangjian.orgs.models import Member, MemberPost, Organization, WorkTeam

    return (
        Organization.objects.count(), WorkTeam.objects.count(), Member.objects.count(), MemberPost.objects.count(),
        AuditEntry.objects.count(), Organization.objects.get(pk=world.b1.pk).name,
        Member.objects.get(pk=world.member.pk).name, Member.objects.get(pk=world.member.pk).phone,
    )


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]
