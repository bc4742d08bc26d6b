"""JSON API for organizations, members and work teams.

Handlers are thin: they resolve objects through dangjian.core.scoping (outside the user's scope → 404,
visible but not allowed → 403), call the same selectors and services as the web (writes audited with
source="api") and shape the answer. Codes referred to in a request body (parent_code, branch_code, …) that
do not exist or are outside the user's scope are a 422 on that field, worded alike for both cases.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, prefetch_related_objects
from ninja import Query, Router, Status

from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.scoping import (
    Scope,
    get_member_for_user,
    get_org_for_user,
    get_scope,
    orgs_for,
    require,
    teams_for,
)

from . import selectors, services
from .models import Category, Member, Organization, OrgKind, PartyPost, WorkTeam
from .schemas import (
    ErrorOut,
    MemberCreateIn,
    MemberOut,
    MemberPage,
    MemberPatchIn,
    OrgCreateIn,
    OrgDetailOut,
    OrgOut,
    OrgPage,
    OrgPatchIn,
    TeamPage,
    ValidationErrorOut,
)

router = Router(tags=["组织与党员"])

SOURCE = "api"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Service error fields → the API's field names.
API_FIELD_NAMES = {"parent": "parent_code", "branch": "branch_code", "group": "group_code", "team": "team_code"}
POST_ORDER = {p.value: i for i, p in enumerate(PartyPost)}

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut}



def limit_param():
    return Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1~{MAX_LIMIT}）")


def offset_param():
    return Query(0, ge=0, description="跳过的条数")


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


@contextmanager
def api_field_names() -> Iterator[None]:
    """Rename the fields of a service's ValidationError to the API's names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({API_FIELD_NAMES.get(f, f): msgs for f, msgs in exc.message_dict.items()})


def parse_choice(choices, raw: str | None, field: str, label: str) -> str:
    """A choice given as its Chinese label or its stored value → the stored value."""
    raw = (raw or "").strip()
    if raw in choices.values:
        return raw
    for value, choice_label in choices.choices:
        if raw == choice_label:
            return value
    raise field_error(field, f"{label}“{raw}”无效，应为：{'/'.join(choices.labels)}")


def _page(total: int, limit: int, offset: int, items: list) -> dict:
    return {"total": total, "limit": limit, "offset": offset, "items": items}


# --- organizations -------------------------------------------------------------------------------


def _parent_codes(orgs: list[Organization]) -> dict[str, str]:
    """Parent path → code for the given organizations (one query)."""
    steplen = Organization.steplen
    paths = {o.path[:-steplen] for o in orgs if o.depth > 1}
    if not paths:
        return {}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "code"))


def org_out(org: Organization, parent_codes: dict[str, str]) -> dict:
    return {
        "code": org.code, "name": org.name, "kind": org.get_kind_display(),
        "parent_code": parent_codes.get(org.path[: -Organization.steplen]) if org.depth > 1 else None,
        "depth": org.depth, "founded_on": org.founded_on, "term_started_on": org.term_started_on,
        "term_years": org.term_years, "term_ends_on": org.term_ends_on,
    }


def _visible_org_by_code(user, code: str, field: str, what: str) -> Organization:
    org = orgs_for(user).filter(code=(code or "").strip()).first()
    if org is None:
        raise field_error(field, f"{what}“{code}”不存在或不在您的管理范围内")
    return org


@router.get("/orgs", response={200: OrgPage, **READ_ERRORS}, summary="组织列表")
def list_orgs(
    request,
    kind: str = Query("", description="组织类型（党委/党总支/党支部/党小组）"),
    under: str = Query("", description="只列此组织（含）及其下级组织，填组织编码"),
    q: str = Query("", description="组织名称或编码包含"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = orgs_for(user)
    if kind:
        qs = qs.filter(kind=parse_choice(OrgKind, kind, "kind", "组织类型"))
    if under:
        qs = qs.filter(get_org_for_user(user, under).subtree_q())
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code__icontains=q.strip()))
    total = qs.count()
    orgs = list(qs.order_by("path")[offset : offset + limit])
    parents = _parent_codes(orgs)
    return _page(total, limit, offset, [org_out(o, parents) for o in orgs])


def coverage_out(coverage: selectors.Coverage) -> dict:
    return {"teams": coverage.teams, "red_teams": coverage.red_teams, "ratio": coverage.ratio,
            "percent": coverage.percent}


def _by_label(counts: dict[str, int]) -> dict[str, int]:
    return {c.label: counts.get(c.value, 0) for c in Category}


@router.get("/orgs/{code}", response={200: OrgDetailOut, **READ_ERRORS}, summary="组织详情（人数、委员、提醒、红色班组覆盖）")
def get_org(request, code: str):
    org = get_org_for_user(request.auth, code)
    stats = selectors.org_stats(selectors.subtree(org))[org.pk]
    coverage = selectors.coverage_total(selectors.coverage_by_branch(org))
    return {
        **org_out(org, _parent_codes([org])),
        "members": _by_label(stats.by_category),
        "subtree_members": _by_label(stats.subtree_by_category),
        "party_members": stats.party_members,
        "subtree_party_members": stats.subtree_party_members,
        "committee_posts": stats.committee_posts,
        "subtree_branches": stats.subtree_branches,
        "warnings": [{"code": w.code, "level": w.level, "message": w.message} for w in stats.warnings],
        "subtree_warning_count": stats.subtree_warning_count,
        "coverage": coverage_out(coverage),
    }


@router.post("/orgs", response={201: OrgOut, **WRITE_ERRORS}, summary="新建组织")
def create_org(request, payload: OrgCreateIn):
    user = request.auth
    scope = get_scope(user)
    kind = parse_choice(OrgKind, payload.kind, "kind", "组织类型")
    parent = None
    if payload.parent_code is not None and payload.parent_code.strip():
        parent = _visible_org_by_code(user, payload.parent_code, "parent_code", "上级组织")
    if parent is None:
        require(scope.may_add_child(None, kind), "只有系统管理员可以新建最上级组织，请填写上级组织编码")
    else:
        require(scope.may_add_child(parent, kind), f"您没有在“{parent.name}”下新建{OrgKind(kind).label}的权限")
    with api_field_names():
        org = services.org_create(
            actor=user, parent=parent, code=payload.code, name=payload.name, kind=kind,
            founded_on=payload.founded_on, term_started_on=payload.term_started_on, term_years=payload.term_years,
            source=SOURCE,
        )
    return Status(201, org_out(org, _parent_codes([org])))


@router.patch("/orgs/{code}", response={200: OrgOut, **WRITE_ERRORS}, summary="修改组织（可通过 parent_code 移动）")
def update_org(request, code: str, payload: OrgPatchIn):
    user = request.auth
    scope = get_scope(user)
    org = get_org_for_user(user, code)
    require(scope.manages_org(org), "您没有修改该组织的权限")
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key in ("code", "name"):
        if key in data:
            changes[key] = data[key] or ""
    for key in ("founded_on", "term_started_on", "term_years"):
        if key in data:
            changes[key] = data[key]
    if "kind" in data:
        changes["kind"] = parse_choice(OrgKind, data["kind"], "kind", "组织类型")
    move = "parent_code" in data
    parent = None
    if move:
        if data["parent_code"]:
            parent = _visible_org_by_code(user, data["parent_code"], "parent_code", "上级组织")
        elif org.depth > 1:
            raise field_error("parent_code", "上级组织编码不能为空（不能通过API改为最上级组织）")
        else:
            move = False  # a top organization stays one
    current_parent = services.parent_of(org)
    moving = move and parent is not None and (current_parent is None or parent.pk != current_parent.pk)
    new_kind = changes.get("kind", org.kind)
    if moving or new_kind != org.kind:
        target = parent if moving else current_parent
        require(scope.may_add_child(target, new_kind), "您没有在目标上级组织下放置该类型组织的权限")
    with api_field_names():
        org = services.org_update(actor=user, org=org, parent=parent, move=move, source=SOURCE, **changes)
    return org_out(org, _parent_codes([org]))


# --- members -------------------------------------------------------------------------------------


def member_out(m: Member, scope: Scope) -> dict:
    sees_id, sees_phone = scope.sees_id_numbers(m), scope.sees_phones(m)
    group, team = m.group, m.team
    return {
        "id": m.pk, "name": m.name, "gender": m.gender, "birth_date": m.birth_date,
        "category": m.get_category_display(), "branch_code": m.branch.code, "branch_name": m.branch.name,
        "group_code": group.code if group is not None else None, "team_code": team.code if team is not None else None,
        "posts": sorted((p.post for p in m.posts.all()), key=lambda p: POST_ORDER.get(p, 99)),
        "admin_title": m.admin_title, "job_post": m.job_post, "education": m.education, "ethnicity": m.ethnicity,
        "work_status": m.work_status, "applied_on": m.applied_on, "activist_on": m.activist_on,
        "candidate_on": m.candidate_on, "admitted_on": m.admitted_on, "full_on": m.full_on,
        "id_number": m.id_number if sees_id else mask_id_number(m.id_number), "id_number_masked": not sees_id,
        "phone": m.phone if sees_phone else mask_phone(m.phone), "phone_masked": not sees_phone and bool(m.phone),
    }


def _member_with_posts(user, pk: int) -> Member:
    member = get_member_for_user(user, pk)
    prefetch_related_objects([member], "posts")
    return member


@router.get("/members", response={200: MemberPage, **READ_ERRORS}, summary="人员列表")
def list_members(
    request,
    category: str = Query("", description="人员类别（入党申请人/入党积极分子/发展对象/预备党员/正式党员）"),
    org: str = Query("", description="组织编码：只列此组织及其下级组织的人员"),
    q: str = Query("", description="姓名、行政职务或岗位包含；数字则匹配身份证号或手机号码的末几位"),
    job_post: str = Query("", description="岗位包含"),
    party_post: str = Query("", description="党内职务，如 书记"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    scope = get_scope(user)
    filters: dict[str, Any] = {"q": q, "job_post": job_post.strip()}
    if category:
        filters["category"] = parse_choice(Category, category, "category", "人员类别")
    if party_post:
        filters["party_post"] = parse_choice(PartyPost, party_post, "party_post", "党内职务")
    if org:
        filters["org"] = get_org_for_user(user, org)
    qs = selectors.member_list(user, **filters)
    total = qs.count()
    members = list(qs.prefetch_related("posts")[offset : offset + limit])
    return _page(total, limit, offset, [member_out(m, scope) for m in members])


@router.get("/members/{member_id}", response={200: MemberOut, **READ_ERRORS}, summary="人员详情")
def get_member(request, member_id: int):
    user = request.auth
    return member_out(_member_with_posts(user, member_id), get_scope(user))


def _group_and_team(user, data: dict) -> dict[str, Any]:
    """Resolve group_code/team_code present in `data` within the user's scope (null clears them)."""
    refs: dict[str, Any] = {}
    if "group_code" in data:
        code = (data["group_code"] or "").strip()
        refs["group"] = _visible_org_by_code(user, code, "group_code", "党小组") if code else None
    if "team_code" in data:
        code = (data["team_code"] or "").strip()
        team = None
        if code:
            team = teams_for(user).select_related("branch").filter(code=code).first()
            if team is None:
                raise field_error("team_code", f"班组“{code}”不存在或不在您的管理范围内")
        refs["team"] = team
    return refs


def _member_values(data: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in services.MEMBER_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key in ("applied_on", "activist_on", "candidate_on", "admitted_on", "full_on"):
            values[key] = value
        elif key == "category":
            values[key] = parse_choice(Category, value, "category", "人员类别")
        else:
            values[key] = (value or "").strip()
    return values


@router.post("/members", response={201: MemberOut, **WRITE_ERRORS}, summary="新增人员")
def create_member(request, payload: MemberCreateIn):
    user = request.auth
    scope = get_scope(user)
    require(scope.is_officer, "您没有新增人员的权限")
    data = payload.dict()
    branch = _visible_org_by_code(user, data["branch_code"], "branch_code", "所在党支部")
    require(scope.manages_members_of(branch), "您没有管理该组织人员的权限")
    refs = _group_and_team(user, data)
    with api_field_names():
        member = services.member_create(
            actor=user, id_number=data["id_number"] or "", branch=branch, posts=data["posts"], source=SOURCE,
            **refs, **_member_values(data),
        )
    return Status(201, member_out(_member_with_posts(user, member.pk), scope))


@router.patch("/members/{member_id}", response={200: MemberOut, **WRITE_ERRORS}, summary="修改人员")
def update_member(request, member_id: int, payload: MemberPatchIn):
    user = request.auth
    scope = get_scope(user)
    member = get_member_for_user(user, member_id)
    require(scope.manages_members_of(member.branch), "您没有修改该人员信息的权限")
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = _member_values(data)
    if "id_number" in data:
        changes["id_number"] = data["id_number"] or ""
    if "posts" in data:
        changes["posts"] = data["posts"] or []
    if "branch_code" in data:
        changes["branch"] = _visible_org_by_code(user, data["branch_code"] or "", "branch_code", "所在党支部")
        require(scope.manages_members_of(changes["branch"]), "您没有管理目标组织人员的权限")
    changes.update(_group_and_team(user, data))
    with api_field_names():
        services.member_update(actor=user, member=member, source=SOURCE, **changes)
    return member_out(_member_with_posts(user, member.pk), scope)


# --- work teams ----------------------------------------------------------------------------------


@router.get("/teams", response={200: TeamPage, **READ_ERRORS}, summary="班组列表与红色班组覆盖")
def list_teams(
    request,
    org: str = Query("", description="组织编码：只列此组织及其下级组织的班组"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    branch_q = get_scope(user).org_q("branch__")
    if org:
        branch_q &= get_org_for_user(user, org).subtree_q("branch__")
    qs = selectors.team_queryset(branch_q)
    # Coverage over the whole filtered list (one aggregate), the page in SQL.
    counts = qs.aggregate(teams=Count("pk"), red=Count("pk", filter=Q(party__gt=0)))
    coverage = selectors.Coverage(teams=counts["teams"], red_teams=counts["red"])
    items = [team_out(t, t.party, t.party > 0) for t in qs[offset : offset + limit]]
    return {**_page(coverage.teams, limit, offset, items), "coverage": coverage_out(coverage)}


def team_out(team: WorkTeam, party_members: int, is_red: bool) -> dict:
    contact = team.contact_member
    return {
        "code": team.code, "name": team.name, "branch_code": team.branch.code, "staff_count": team.staff_count,
        "party_members": party_members, "is_red": is_red,
        "contact_member": contact.name if contact is not None else None,
    }
