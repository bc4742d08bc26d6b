"""Reads of the points app, scoped, in a constant number of queries whatever the size.

year_table() loads, for a subtree and a year: the party members (one query), the pack versions (one), the
special assessments (one) and one aggregate of the ledger (a GROUP BY over member, category, special and slot,
nested so that a `mean` category arrives as the sum and count of its scored slots), then hands them to the
pure engine. Python work is linear in the members.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from dangjian.core.masking import mask_id_number
from dangjian.core.scoping import get_scope
from dangjian.core.treepaths import subtree_q, subtrees_q
from dangjian.orgs.models import PARTY_MEMBER_CATEGORIES, Member, Organization

from . import pack as packs
from .engine import (
    EntrySum,
    MemberFacts,
    MemberResult,
    PointsTable,
    SpecialFacts,
    SpecialResultInfo,
    build_rows,
    grade_counts,
)
from .models import ClaimStatus, PointClaim, PointEntry, PointPackVersion, SpecialAssessment

rule_label = packs.rule_label
category_names = packs.category_names


# --- packs ----------------------------------------------------------------------------------------------

_VERSION_CACHE: dict[tuple[int, str], dict[str, Any]] = {}


def version_pack(version_id: int, org_code: str, effective_from: dt.date, content: dict) -> dict[str, Any]:
    """A stored version's validated pack, cached by id and content (ids can be reused after a rollback)."""
    key = (version_id, json.dumps(content, sort_keys=True, ensure_ascii=False))
    found = _VERSION_CACHE.get(key)
    if found is None:
        if len(_VERSION_CACHE) > 256:
            _VERSION_CACHE.clear()
        found = packs.pack_from_content(content, f"{org_code} {effective_from.isoformat()} 版本")
        _VERSION_CACHE[key] = found
    return found


def chooser_for(root: Organization) -> packs.PackChooser:
    """A PackChooser for the organizations of `root`'s subtree (the versions of its ancestors and its own)."""
    rows = (PointPackVersion.objects
            .filter(Q(org__path__in=packs.ancestor_paths(root.path)) | subtree_q(root.path, "org__path"))
            .values_list("id", "org__path", "org__code", "effective_from", "content"))
    versions = [(path, day, version_pack(pk, code, day, content)) for pk, path, code, day, content in rows]
    return packs.PackChooser(versions)


def pack_for(org: Organization, day: dt.date) -> dict[str, Any]:
    """The pack in force for `org` on `day`: the deepest ancestor-or-self version from that date, else default."""
    rows = (PointPackVersion.objects.filter(org__path__in=packs.ancestor_paths(org.path), effective_from__lte=day)
            .values_list("id", "org__path", "org__code", "effective_from", "content"))
    versions = [(path, d, version_pack(pk, code, d, content)) for pk, path, code, d, content in rows]
    return packs.PackChooser(versions).pack_for(org.path, day)


def pack_versions(org: Organization) -> QuerySet[PointPackVersion]:
    """The versions that apply to `org` (its ancestors' and its own), newest first."""
    return (PointPackVersion.objects.filter(org__path__in=packs.ancestor_paths(org.path))
            .select_related("org", "created_by").order_by("-effective_from", "-id"))


# --- periods --------------------------------------------------------------------------------------------

def check_period(year: int, period: str | None) -> str | None:
    """None/'' or the year itself → None (the whole year); a month 2026-03 or quarter 2026-Q1 of the year."""
    if period in (None, "", str(year)):
        return None
    if packs.slot_kind(period) is None or int(period[:4]) != year:
        raise ValueError(f"期间“{period}”无效，应为{year}年内的月份（如{year}-03）或季度（如{year}-Q1）")
    return period


def period_end(year: int, period: str | None) -> dt.date:
    return packs.slot_bounds(period)[1] if period else dt.date(year, 12, 31)


def period_start(year: int, period: str | None) -> dt.date:
    return packs.slot_bounds(period)[0] if period else dt.date(year, 1, 1)


def resolve_category(pack: dict[str, Any], category: str | None) -> str | None:
    """A category given by code or by its Chinese name; ValueError for an unknown one."""
    if not category:
        return None
    if category in pack["categories"]:
        return category
    for code, cat in pack["categories"].items():
        if cat["name"] == category:
            return code
    raise ValueError(f"积分类别“{category}”不存在，可选：{'、'.join(packs.category_names(pack))}")


# --- the year's table ---------------------------------------------------------------------------------

def _members(root: Organization) -> list[MemberFacts]:
    rows = (Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
            .order_by()
            .values_list("id", "name", "id_number", "branch_id", "branch__code", "branch__name", "branch__path",
                         "group_id"))
    return [MemberFacts(pk, name, mask_id_number(idn), org_id, code, org_name, path, group_id)
            for pk, name, idn, org_id, code, org_name, path, group_id in rows]


def _specials(root: Organization, start: dt.date, end: dt.date) -> list[SpecialFacts]:
    rows = (SpecialAssessment.objects
            .filter(Q(org__path__in=packs.ancestor_paths(root.path)) | subtree_q(root.path, "org__path"),
                    active=True, starts_on__lte=end, ends_on__gte=start)
            .order_by("starts_on", "id")
            .values_list("id", "name", "org__path", "org__name", "starts_on", "ends_on", "weight", "max_points"))
    return [SpecialFacts(*row) for row in rows]


def _entries(root: Organization, year: int, period: str | None) -> QuerySet[PointEntry]:
    qs = PointEntry.objects.filter(year=year)
    if root.depth == 1:
        qs = qs.filter(top_org_id=root.pk)
    else:
        qs = qs.filter(member__in=Member.objects.filter(subtree_q(root.path, "branch__path")).values("pk"))
    if period:
        qs = qs.filter(period__in=packs.period_months(period))
    return qs


_DECIMALS: dict[Any, Decimal] = {}


def _decimal(value: Any) -> Decimal:
    """A summed value from the database (int or float on SQLite, Decimal on PostgreSQL) as a Decimal(…, 1 place).
    Sums repeat a lot across members, so the conversions are cached."""
    found = _DECIMALS.get(value)
    if found is None:
        if isinstance(value, Decimal):
            found = value.quantize(packs.TENTH)
        else:
            found = Decimal(f"{float(value or 0):.1f}")
        if len(_DECIMALS) > 100_000:
            _DECIMALS.clear()
        _DECIMALS[value] = found
    return found


def entry_sums(root: Organization, year: int, period: str | None = None) -> dict[int, dict[str | int, EntrySum]]:
    """One aggregate of the ledger: member → {category code or special id: EntrySum(points, scored slots)}.

    The inner GROUP BY adds up each slot and counts its entries (k) and reversals (r): a slot is scored while it
    has a live entry (k − r > r), so a cleared grid cell is not; the outer one adds the slots up per member and
    category.
    """
    inner = (_entries(root, year, period).order_by()
             .values(m=F("member_id"), c=F("category"), a=F("assessment_id"), sl=F("slot"))
             .annotate(s=Sum("points"), k=Count("*"), r=Count("reverses")))
    sql, params = inner.query.sql_with_params()
    outer = (f"SELECT t.m, t.c, t.a, SUM(t.s), SUM(CASE WHEN t.sl <> '' THEN 1 ELSE 0 END) "
             f"FROM ({sql}) t WHERE t.k > 2 * t.r OR t.sl = '' GROUP BY t.m, t.c, t.a")
    out: dict[int, dict[str | int, EntrySum]] = {}
    shared: dict[tuple, EntrySum] = {}  # one object per distinct (sum, slots): the engine caches by identity
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        for member_id, category, special_id, total, slots in cursor.fetchall():
            key = special_id if special_id is not None else category
            mine = out.get(member_id)
            if mine is None:
                mine = out[member_id] = {}
            value = shared.get((total, slots))
            if value is None:
                value = shared[(total, slots)] = EntrySum(_decimal(total), int(slots or 0))
            mine[key] = value
    return out


def year_table(root: Organization, year: int, *, category: str | None = None, period: str | None = None,
               as_of: dt.date | None = None) -> PointsTable:
    """The ranked points of `root`'s party members for `year` (or a month/quarter of it).

    Totals use the pack in force on the last day of the period (or `as_of`, default today if earlier).
    Raises ValueError (Chinese message) for a bad period or category.
    """
    period = check_period(year, period)
    end = period_end(year, period)
    as_of = as_of or min(end, timezone.localdate())
    chooser = chooser_for(root)
    root_pack = chooser.pack_for(root.path, as_of)
    category = resolve_category(root_pack, category)
    members = _members(root)
    pack_by_org = {m.org_id: chooser.pack_for(m.org_path, as_of) for m in members} if not chooser.trivial else None
    specials = _specials(root, period_start(year, period), end)
    sums = entry_sums(root, year, period)
    packs_map = pack_by_org if pack_by_org is not None else _SameForAll(root_pack)
    rows = build_rows(members, packs_map, sums, specials, period=period, category=category)
    infos = _special_infos(specials, rows)
    table = PointsTable(root=root, year=year, period=period, pack=root_pack, rows=rows, specials=infos,
                        grade_counts=grade_counts(root_pack, rows) if period is None else {}, category=category,
                        as_of=as_of)
    table.by_member = {r.member_id: r for r in rows}
    return table


class _SameForAll(dict):
    """A mapping that gives the same pack for every organization (no versions anywhere in the subtree)."""

    def __init__(self, pack: dict[str, Any]):
        super().__init__()
        self.pack = pack

    def __getitem__(self, key):
        return self.pack


def _special_infos(specials: list[SpecialFacts], rows: list[MemberResult]) -> list[SpecialResultInfo]:
    counts = {s.id: 0 for s in specials}
    for row in rows:
        for sid, value in row.specials.items():
            if value.raw:
                counts[sid] += 1
    return [SpecialResultInfo(s.id, s.name, s.org_name, s.starts_on, s.ends_on, s.weight, s.max_points, counts[s.id])
            for s in specials]


def year_totals(root: Organization, year: int) -> dict[int, MemberResult]:
    """member id → the year's result (total, grade, categories): for the assessment app."""
    return year_table(root, year).by_member


def number(value: Decimal) -> int | float:
    """A point value for JSON: 8 or 7.5."""
    return int(value) if value == value.to_integral_value() else float(value)


def to_json(table: PointsTable) -> dict[str, Any]:
    """The table as one JSON object (the CLI's --json and the API give exactly this)."""
    cats = list(table.pack["categories"].values())
    return {
        "org": {"code": table.root.code, "name": table.root.name},
        "year": table.year,
        "period": table.period,
        "category": table.pack["categories"][table.category]["name"] if table.category else None,
        "pack": {"code": table.pack["code"], "version": table.pack["version"], "name": table.pack["name"]},
        "grade_counts": table.grade_counts,
        "specials": [{"id": s.id, "name": s.name, "weight": number(s.weight), "max_points": number(s.max_points)}
                     for s in table.specials],
        "members": [_member_json(r, cats) for r in table.rows],
    }


def _member_json(row: MemberResult, cats: list[dict]) -> dict[str, Any]:
    return {
        "name": row.name, "id_masked": row.id_masked, "org": row.org_name, "total": number(row.total),
        "grade": row.grade, "rank": row.rank,
        "categories": {c["name"]: number(row.categories[c["code"]].value) if c["code"] in row.categories else 0
                       for c in cats},
        "specials": {v.name: number(v.contribution) for v in row.specials.values()},
        "missing": row.missing,
    }


# --- one member -----------------------------------------------------------------------------------------

@dataclass
class MemberPoints:
    member: Member
    year: int
    pack: dict[str, Any]
    result: MemberResult | None  # None when the member is not a party member (no points table)
    rank_branch: int | None
    rank_group: int | None  # within the member's 党小组, if any
    branch_size: int
    group_size: int
    months: list[tuple[str, Decimal]]
    entries: QuerySet[PointEntry]
    claims: QuerySet[PointClaim]
    special_rules: dict[int, dict[str, dict]]

    def rule_name(self, code: str, assessment_id: int | None = None) -> str:
        if assessment_id is not None:
            rule = self.special_rules.get(assessment_id, {}).get(code)
            return rule["name"] if rule else code
        return packs.rule_label(self.pack, code)


def member_points(member: Member, year: int) -> MemberPoints:
    """A member's year: result (rank in branch and in their 党小组), net points per month, entries, claims."""
    branch = member.branch
    table = year_table(branch, year)
    result = table.by_member.get(member.pk)
    rank_group, group_size = None, 0
    if member.group_id:
        peers = [r for r in table.rows if r.group_id == member.group_id]
        group_size = len(peers)
        if result is not None:  # competition rank among the 党小组 (the rows keep their branch ranks)
            rank_group = 1 + sum(1 for r in peers if r.total > result.total)
    specials = {s.id: packs.special_rules_map(packs.validate_special_rules(s.rules, s.name))
                for s in SpecialAssessment.objects.filter(entries__member=member, entries__year=year).distinct()}
    return MemberPoints(
        member=member, year=year, pack=table.pack, result=result, rank_branch=result.rank if result else None,
        rank_group=rank_group, branch_size=len(table.rows), group_size=group_size, months=_months(member, year),
        entries=member_entries(member, year), claims=PointClaim.objects.filter(member=member).select_related(
            "decided_by", "entry").order_by("-created_at", "-id"),
        special_rules=specials,
    )


def _months(member: Member, year: int) -> list[tuple[str, Decimal]]:
    sums = dict(PointEntry.objects.filter(member=member, year=year, assessment__isnull=True).order_by()
                .values("period").annotate(s=Sum("points")).values_list("period", "s"))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    return [(m, _decimal(sums.get(m) or 0)) for m in months]


def member_entries(member: Member, year: int | None = None) -> QuerySet[PointEntry]:
    qs = PointEntry.objects.filter(member=member)
    if year is not None:
        qs = qs.filter(year=year)
    return (qs.select_related("activity", "created_by", "approved_by", "claim", "assessment", "reverses",
                              "reversed_by")
            .order_by("-occurred_on", "-id"))


# --- scoped querysets and access helpers ----------------------------------------------------------------

def _member_scope_q(user, prefix: str) -> Q:
    scope = get_scope(user)
    if scope.is_admin:
        return Q()
    q = subtrees_q(scope.manage_paths, f"{prefix}branch__path")
    if scope.member_id is not None:
        q |= Q(**{f"{prefix}id": scope.member_id})
    return q


def entries_for(user) -> QuerySet[PointEntry]:
    return PointEntry.objects.filter(_member_scope_q(user, "member__"))


def claims_for(user) -> QuerySet[PointClaim]:
    return PointClaim.objects.filter(_member_scope_q(user, "member__"))


def pending_claims_for(user) -> QuerySet[PointClaim]:
    """Claims the user may decide: pending, in the branches they manage, not their own."""
    scope = get_scope(user)
    if not scope.is_officer:
        return PointClaim.objects.none()
    qs = PointClaim.objects.filter(status=ClaimStatus.PENDING)
    if not scope.is_admin:
        qs = qs.filter(subtrees_q(scope.manage_paths, "member__branch__path"))
    if scope.member_id is not None:
        qs = qs.exclude(member_id=scope.member_id)
    return qs.exclude(created_by=user)


def specials_for(user) -> QuerySet[SpecialAssessment]:
    """Specials the user can see: those of their managed subtrees, and those applying to them (ancestors)."""
    scope = get_scope(user)
    if scope.is_admin:
        return SpecialAssessment.objects.all()
    paths = list(scope.manage_paths)
    if scope.member_id is not None:
        own = Member.objects.filter(pk=scope.member_id).values_list("branch__path", flat=True).first()
        if own:
            paths.append(own)
    ancestors = {p for path in paths for p in packs.ancestor_paths(path)}
    return SpecialAssessment.objects.filter(Q(org__path__in=ancestors) | subtrees_q(scope.manage_paths, "org__path"))


def get_entry_for_user(user, pk) -> PointEntry:
    try:
        return entries_for(user).select_related("member__branch", "activity", "claim", "assessment").get(pk=pk)
    except (PointEntry.DoesNotExist, ValueError, TypeError):
        raise Http404("积分记录不存在或无权查看")


def get_claim_for_user(user, pk) -> PointClaim:
    try:
        return claims_for(user).select_related("member__branch", "entry", "assessment").get(pk=pk)
    except (PointClaim.DoesNotExist, ValueError, TypeError):
        raise Http404("积分申报不存在或无权查看")


def get_special_for_user(user, pk) -> SpecialAssessment:
    try:
        return specials_for(user).select_related("org").get(pk=pk)
    except (SpecialAssessment.DoesNotExist, ValueError, TypeError):
        raise Http404("专项考核不存在或无权查看")


def rules_for(member: Member, day: dt.date | None = None, *, kind: str | None = None) -> dict[str, dict]:
    """The rules of the pack in force for a member's branch (optionally one kind: manual / declared)."""
    pack = pack_for(member.branch, day or timezone.localdate())
    return {code: r for code, r in pack["rules"].items() if kind is None or r["kind"] == kind}
