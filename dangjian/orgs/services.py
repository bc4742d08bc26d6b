"""Every write to organizations, teams and members: validated, audited, one transaction each.

Forms and the API call these; the importer shares `rules.py` and the audit helpers and writes in bulk.
"""

import datetime as dt
import re
from typing import Any, TypeVar

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from dangjian.core.audit import audit_log, snapshot
from dangjian.core.idcard import normalize_id_number, parse_id_number
from dangjian.core.models import AuditAction

from . import rules
from .models import Member, MemberPost, Organization, OrgKind, PartyPost, Role, RoleGrant, User, WorkTeam

ORG_FIELDS = ["code", "name", "kind", "founded_on", "term_started_on", "term_years"]
TEAM_FIELDS = ["code", "name", "staff_count"]
MEMBER_FIELDS = [
    "name", "category", "applied_on", "activist_on", "candidate_on", "admitted_on", "full_on",
    "ethnicity", "education", "job_post", "admin_title", "phone", "work_status",
]


def raise_errors(errors: rules.Errors) -> None:
    if errors:
        grouped: dict[str, list[str]] = {}
        for field, message in errors:
            grouped.setdefault(field, []).append(message)
        raise ValidationError(grouped)


def org_ref(org: Organization | None) -> rules.OrgRef | None:
    if org is None:
        return None
    return rules.OrgRef(code=org.code, kind=org.kind, path=org.path, depth=org.depth, name=org.name)


def parent_of(org: Organization) -> Organization | None:
    if org.depth <= 1:
        return None
    return Organization.objects.filter(path=org.path[: -Organization.steplen]).first()


def org_snapshot(org: Organization) -> dict:
    parent = parent_of(org)
    return snapshot(org, extra={"parent": parent.code if parent else None})


# --- organizations -------------------------------------------------------------------------------


@transaction.atomic
def org_create(*, actor, parent: Organization | None, code: str, name: str, kind: str,
               founded_on: dt.date | None = None, term_started_on: dt.date | None = None,
               term_years: int | None = None, source: str = "web") -> Organization:
    code, name = (code or "").strip(), (name or "").strip()
    errors = rules.check_org(code=code, name=name, kind=kind, parent=org_ref(parent), founded_on=founded_on,
                             term_started_on=term_started_on, term_years=term_years)
    if code and Organization.objects.filter(code=code).exists():
        errors.append(("code", f"组织编码“{code}”已存在"))
    raise_errors(errors)
    values: dict[str, Any] = {"code": code, "name": name, "kind": kind, "founded_on": founded_on,
                                  "term_started_on": term_started_on, "term_years": term_years}
    if parent is None:
        org = Organization.objects.add_root(create_kwargs=values)
    else:
        parent.refresh_from_db()  # treebeard needs a fresh numchild
        org = Organization.objects.add_child(parent, create_kwargs=values)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=org, after=org_snapshot(org), org_path=org.path,
              source=source)
    return org


@transaction.atomic
def org_update(*, actor, org: Organization, parent: Organization | None = None, move: bool = False,
               source: str = "web", **changes: Any) -> Organization:
    """Change an organization's fields; with move=True, also put it under `parent`."""
    org.refresh_from_db()
    before = org_snapshot(org)
    for key in changes:
        if key not in ORG_FIELDS:
            raise ValueError(f"unknown organization field {key}")
    new = {f: getattr(org, f) for f in ORG_FIELDS} | changes
    new["code"], new["name"] = (new["code"] or "").strip(), (new["name"] or "").strip()
    current_parent = parent_of(org)
    target_parent = parent if move else current_parent
    errors = rules.check_org(code=new["code"], name=new["name"], kind=new["kind"], parent=org_ref(target_parent),
                             founded_on=new["founded_on"], term_started_on=new["term_started_on"],
                             term_years=new["term_years"])
    if new["code"] != org.code and Organization.objects.filter(code=new["code"]).exists():
        errors.append(("code", f"组织编码“{new['code']}”已存在"))
    if move and target_parent is not None and target_parent.path.startswith(org.path):
        errors.append(("parent", "不能把组织移到它自己或它的下级组织之下"))
    if new["kind"] != org.kind:
        errors += _kind_change_errors(org, new["kind"])
    raise_errors(errors)
    for key, value in new.items():
        setattr(org, key, value)
    org.save(update_fields=ORG_FIELDS)
    if move and target_parent is not None and (current_parent is None or target_parent.pk != current_parent.pk):
        target_parent.refresh_from_db()
        Organization.objects.move(org, target_parent, pos="last-child")
        org.refresh_from_db()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=org, before=before, after=org_snapshot(org),
              org_path=org.path, source=source)
    return org


def _kind_change_errors(org: Organization, new_kind: str) -> rules.Errors:
    errors: rules.Errors = []
    if org.kind == OrgKind.BRANCH and (Member.objects.filter(branch=org).exists() or org.teams.exists()):
        errors.append(("kind", "该党支部下还有人员或班组，不能改变组织类型"))
    if org.kind == OrgKind.GROUP and Member.objects.filter(group=org).exists():
        errors.append(("kind", "该党小组下还有人员，不能改变组织类型"))
    for child in Organization.objects.get_children(org):
        if new_kind not in rules.ALLOWED_PARENT_KINDS.get(child.kind, ()):
            errors.append(("kind", f"下级组织“{child.code}”（{child.get_kind_display()}）不能隶属于新类型"))
            break
    return errors


@transaction.atomic
def org_delete(*, actor, org: Organization, source: str = "web") -> None:
    org.refresh_from_db()
    if Organization.objects.get_children_count(org):
        raise ValidationError({"code": ["该组织还有下级组织，不能删除"]})
    if Member.objects.filter(branch=org).exists() or Member.objects.filter(group=org).exists():
        raise ValidationError({"code": ["该组织还有人员，不能删除"]})
    if org.teams.exists():
        raise ValidationError({"code": ["该组织还有班组，不能删除"]})
    before = org_snapshot(org)
    path = org.path
    audit_log(actor=actor, action=AuditAction.DELETE, obj=org, before=before, org_path=path, source=source)
    _delete_kept(org, "该组织已有活动、积分或考核评价等记录，不能删除")


def _delete_kept(obj, message: str) -> None:
    """Delete, or refuse with a Chinese message when records that must be kept point at the object (the
    caller's transaction then rolls back, audit entry included)."""
    try:
        obj.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError({"__all__": [message]})


# --- work teams ----------------------------------------------------------------------------------


def _team_errors(*, code: str, name: str, branch: Organization | None, staff_count: int | None,
                 contact: Member | None) -> rules.Errors:
    return rules.check_team(
        code=code, name=name, branch=org_ref(branch), staff_count=staff_count,
        contact_category=contact.category if contact else None,
        contact_branch_code=contact.branch.code if contact else None,
    )


def team_snapshot(team: WorkTeam) -> dict:
    return snapshot(team, extra={"branch": team.branch.code,
                                 "contact_member": team.contact_member.name if team.contact_member else None})


@transaction.atomic
def team_create(*, actor, branch: Organization, code: str, name: str, staff_count: int | None = None,
                contact_member: Member | None = None, source: str = "web") -> WorkTeam:
    code, name = (code or "").strip(), (name or "").strip()
    errors = _team_errors(code=code, name=name, branch=branch, staff_count=staff_count, contact=contact_member)
    if code and WorkTeam.objects.filter(code=code).exists():
        errors.append(("code", f"班组编码“{code}”已存在"))
    raise_errors(errors)
    team = WorkTeam.objects.create(code=code, name=name, branch=branch, staff_count=staff_count,
                                   contact_member=contact_member)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=team, after=team_snapshot(team), org_path=branch.path,
              source=source)
    return team


@transaction.atomic
def team_update(*, actor, team: WorkTeam, source: str = "web", **changes: Any) -> WorkTeam:
    before = team_snapshot(team)
    allowed = {"code", "name", "staff_count", "contact_member", "branch"}
    if set(changes) - allowed:
        raise ValueError(f"unknown team fields {set(changes) - allowed}")
    new = {f: getattr(team, f) for f in allowed} | changes
    new["code"], new["name"] = (new["code"] or "").strip(), (new["name"] or "").strip()
    errors = _team_errors(code=new["code"], name=new["name"], branch=new["branch"], staff_count=new["staff_count"],
                          contact=new["contact_member"])
    if new["code"] != team.code and WorkTeam.objects.filter(code=new["code"]).exists():
        errors.append(("code", f"班组编码“{new['code']}”已存在"))
    if new["branch"].pk != team.branch_id and team.members.exists():
        errors.append(("branch", "班组中还有人员，不能改到其他党支部"))
    raise_errors(errors)
    for key, value in new.items():
        setattr(team, key, value)
    team.save()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=team, before=before, after=team_snapshot(team),
              org_path=team.branch.path, source=source)
    return team


@transaction.atomic
def team_delete(*, actor, team: WorkTeam, source: str = "web") -> None:
    before = team_snapshot(team)
    audit_log(actor=actor, action=AuditAction.DELETE, obj=team, before=before, org_path=team.branch.path,
              source=source)
    team.members.update(team=None)
    _delete_kept(team, "该班组已有考核评价记录，不能删除")


# --- members -------------------------------------------------------------------------------------


def member_snapshot(member: Member, posts: list[str] | None = None) -> dict:
    if posts is None:
        posts = sorted(member.posts.values_list("post", flat=True))
    # An unset foreign key reads as None without a query, exactly like testing group_id/team_id first.
    group, team = member.group, member.team
    return snapshot(member, extra={
        "branch": member.branch.code,
        "group": group.code if group is not None else None,
        "team": team.code if team is not None else None,
        "posts": posts,
    })


def member_errors(*, id_number: str, values: dict[str, Any], branch: Organization | None,
                  group: Organization | None, team: WorkTeam | None, posts: list[str],
                  exclude_pk: int | None = None) -> rules.Errors:
    data = rules.MemberData(
        id_number=id_number, name=values.get("name", ""), category=values.get("category", ""),
        branch=org_ref(branch), group=org_ref(group), team_branch_code=team.branch.code if team else None,
        posts=posts, phone=values.get("phone", "") or "", work_status=values.get("work_status") or "在岗",
        **{f: values.get(f) for f in rules.MEMBER_DATE_FIELDS},
    )
    errors = rules.check_member(data)
    if id_number and _excluding(Member.objects.filter(id_number=id_number), exclude_pk).exists():
        errors.append(("id_number", "该身份证号已登记，不能重复录入"))
    errors += unique_post_errors(branch=branch, group=group, posts=posts, exclude_pk=exclude_pk)
    return errors


_M = TypeVar("_M", bound=models.Model)


def _excluding(qs: models.QuerySet[_M], pk: int | None, field: str = "pk") -> models.QuerySet[_M]:
    """`qs` without the row being edited (`field` == pk); a row not saved yet (pk None) excludes nothing."""
    return qs.exclude(**{field: pk}) if pk is not None else qs


def unique_post_errors(*, branch: Organization | None, group: Organization | None, posts: list[str],
                       exclude_pk: int | None) -> rules.Errors:
    """A branch has one 书记; a 党小组 has one 党小组长."""
    errors: rules.Errors = []
    if branch is not None and PartyPost.SECRETARY in posts:
        other = (_excluding(MemberPost.objects.filter(post=PartyPost.SECRETARY, member__branch=branch),
                            exclude_pk, "member_id").select_related("member").first())
        if other:
            errors.append(("posts", f"本支部已有书记：{other.member.name}"))
    if group is not None and PartyPost.GROUP_LEADER in posts:
        other = (_excluding(MemberPost.objects.filter(post=PartyPost.GROUP_LEADER, member__group=group),
                            exclude_pk, "member_id").select_related("member").first())
        if other:
            errors.append(("posts", f"该党小组已有党小组长：{other.member.name}"))
    return errors


def _set_posts(member: Member, posts: list[str]) -> None:
    current = set(member.posts.values_list("post", flat=True))
    wanted = set(posts)
    if current - wanted:
        member.posts.filter(post__in=current - wanted).delete()
    MemberPost.objects.bulk_create([MemberPost(member=member, post=p) for p in sorted(wanted - current)])


@transaction.atomic
def member_create(*, actor, id_number: str, branch: Organization, group: Organization | None = None,
                  team: WorkTeam | None = None, posts: list[str] | None = None, source: str = "web",
                  **values: Any) -> Member:
    id_number = normalize_id_number(id_number)
    posts = list(posts or [])
    unknown = set(values) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"unknown member fields {unknown}")
    values["name"] = (values.get("name") or "").strip()
    values.setdefault("work_status", "在岗")
    raise_errors(member_errors(id_number=id_number, values=values, branch=branch, group=group, team=team,
                               posts=posts))
    info = parse_id_number(id_number)
    member = Member.objects.create(id_number=id_number, birth_date=info.birth_date, gender=info.gender,
                                   branch=branch, group=group, team=team, **values)
    _set_posts(member, posts)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=member, after=member_snapshot(member, sorted(posts)),
              org_path=branch.path, source=source)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, source: str = "web", **changes: Any) -> Member:
    """Change a member. `changes` may hold MEMBER_FIELDS, id_number, branch, group, team and posts."""
    member = Member.objects.select_related("branch", "group", "team").get(pk=member.pk)
    before = member_snapshot(member)
    allowed = set(MEMBER_FIELDS) | {"id_number", "branch", "group", "team", "posts"}
    if set(changes) - allowed:
        raise ValueError(f"unknown member fields {set(changes) - allowed}")
    values = {f: getattr(member, f) for f in MEMBER_FIELDS} | {
        k: v for k, v in changes.items() if k in MEMBER_FIELDS
    }
    values["name"] = (values.get("name") or "").strip()
    id_number = normalize_id_number(changes.get("id_number", member.id_number))
    branch = changes.get("branch", member.branch)
    group = changes.get("group", member.group)
    team = changes.get("team", member.team)
    posts = list(changes.get("posts", before["posts"]))
    raise_errors(member_errors(id_number=id_number, values=values, branch=branch, group=group, team=team,
                               posts=posts, exclude_pk=member.pk))
    info = parse_id_number(id_number)
    for key, value in values.items():
        setattr(member, key, value)
    member.id_number, member.birth_date, member.gender = id_number, info.birth_date, info.gender
    member.branch, member.group, member.team = branch, group, team
    member.save()
    _set_posts(member, posts)
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=member, before=before,
              after=member_snapshot(member, sorted(posts)), org_path=branch.path, source=source)
    return member


@transaction.atomic
def member_delete(*, actor, member: Member, source: str = "web") -> None:
    before = member_snapshot(member)
    audit_log(actor=actor, action=AuditAction.DELETE, obj=member, before=before, org_path=member.branch.path,
              source=source)
    WorkTeam.objects.filter(contact_member=member).update(contact_member=None)
    if member.point_entries.exists():
        raise ValidationError({"__all__": ["该人员已有积分记录，不能删除（人员调出或离开时请修改其工作状态）"]})
    _delete_kept(member, "该人员已有考核评价等记录，不能删除（人员调出或离开时请修改其工作状态）")


# --- users and roles -----------------------------------------------------------------------------
# Every change is audit-logged (object types "user" and "rolegrant") with the path of the organization
# concerned; passwords are never logged, only the fact that one was set.

USER_FIELDS = ["username", "display_name", "is_active", "is_superuser", "member"]
_USERNAME = re.compile(r"^[\w.@+-]+$")


def user_org_path(user: User) -> str:
    """The organization a user belongs to, for the audit log: their member's branch, else their first grant."""
    if user.member_id:
        return Member.objects.filter(pk=user.member_id).values_list("branch__path", flat=True).first() or ""
    return RoleGrant.objects.filter(user=user).order_by("org__path").values_list("org__path", flat=True).first() or ""


def user_snapshot(user: User) -> dict:
    grants = RoleGrant.objects.filter(user=user).values_list("role", "org__code").order_by("org__code", "role")
    return snapshot(user, fields=USER_FIELDS, extra={"roles": [f"{role}@{code}" for role, code in grants]})


def _actor_scope(actor):
    from dangjian.core.scoping import get_scope

    return None if actor is None else get_scope(actor)


def may_grant_in(actor, org: Organization) -> bool:
    """系统管理员 anywhere; an 组织管理员 within their subtrees (actor None = the command line)."""
    scope = _actor_scope(actor)
    return scope is None or scope.is_admin or scope.in_paths(org.path, scope.admin_paths)


def may_manage_user(actor, target: User) -> bool:
    """May change the target's account: every grant and the linked member lie in the actor's subtrees.

    An 组织管理员 must not reset the password of someone who holds a role outside their subtree (or of a
    系统管理员): that would let them act with more rights than they have.
    """
    scope = _actor_scope(actor)
    if scope is None or scope.is_admin:
        return True
    if target.is_superuser or not scope.admin_paths:
        return False
    paths = list(RoleGrant.objects.filter(user=target).values_list("org__path", flat=True))
    if target.member_id:
        paths += list(Member.objects.filter(pk=target.member_id).values_list("branch__path", flat=True))
    return bool(paths) and all(scope.in_paths(p, scope.admin_paths) for p in paths)


# Django's own texts for some validators are untranslated in zh-hans; ours are, by error code.
PASSWORD_MESSAGES = {
    "password_too_short": "密码太短，至少需要{min_length}个字符",
    "password_too_common": "密码过于常见，请换一个",
    "password_entirely_numeric": "密码不能全是数字",
    "password_too_similar": "密码与用户名或显示名称太相近",
}


def _password_errors(password: str, user: User) -> rules.Errors:
    if not password:
        return [("password", "请输入密码")]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        out: rules.Errors = []
        for error in exc.error_list:
            template = PASSWORD_MESSAGES.get(error.code or "")
            params = error.params if isinstance(error.params, dict) else {}
            out.append(("password", template.format(**params) if template else " ".join(error.messages)))
        return out
    return []


def _member_link_errors(member: Member | None, user: User | None) -> rules.Errors:
    if member is None:
        return []
    other = _excluding(User.objects.filter(member=member), user.pk if user is not None else None).first()
    if other is not None:
        return [("member", f"{member.name}已关联账号“{other.username}”，一名党员只能关联一个账号")]
    return []


def _grant_errors(user: User | None, role: str, org: Organization | None) -> rules.Errors:
    errors: rules.Errors = []
    if role not in Role.values:
        errors.append(("role", f"角色“{role}”无效，应为：{'/'.join(Role.labels)}"))
    if org is None:
        errors.append(("org", "请选择授权的组织"))
    elif role in (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE) and org.kind != OrgKind.BRANCH:
        errors.append(("org", f"{Role(role).label}角色须授予党支部，“{org.name}”是{org.get_kind_display()}"))
    if (user is not None and user.pk and org is not None and role in Role.values
            and RoleGrant.objects.filter(user=user, role=role, org=org).exists()):
        errors.append(("role", f"该用户已是“{org.name}”的{Role(role).label}"))
    return errors


@transaction.atomic
def user_create(*, actor, username: str, password: str, display_name: str = "", member: Member | None = None,
                is_superuser: bool = False, roles: list[tuple[str, Organization]] | None = None,
                source: str = "web") -> User:
    """A new login, optionally linked to a member and with roles; only a 系统管理员 may create another."""
    username, display_name = (username or "").strip(), (display_name or "").strip()
    roles = list(roles or [])
    scope = _actor_scope(actor)
    if is_superuser and scope is not None and not scope.is_admin:
        raise PermissionDenied("只有系统管理员可以创建系统管理员")
    for _role, org in roles:
        if org is not None and not may_grant_in(actor, org):
            raise PermissionDenied("只能在您管理的组织范围内授予角色")
    if member is not None and not may_grant_in(actor, member.branch):
        raise PermissionDenied("只能关联您管理范围内的党员")
    errors: rules.Errors = []
    if not username:
        errors.append(("username", "用户名不能为空"))
    elif len(username) > 150 or not _USERNAME.match(username):
        errors.append(("username", "用户名只能由字母、数字、汉字和 @ . + - _ 组成，不超过150个字符"))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(("username", f"用户名“{username}”已被使用"))
    if len(display_name) > 50:
        errors.append(("display_name", "显示名称不能超过50个字"))
    candidate = User(username=username, display_name=display_name)
    errors += _password_errors(password, candidate)
    errors += _member_link_errors(member, None)
    for role, org in roles:
        errors += _grant_errors(None, role, org)
    raise_errors(errors)
    user = User.objects.create_user(username=username, password=password, display_name=display_name,
                                    member=member, is_superuser=is_superuser, is_staff=is_superuser)
    for role, org in roles:
        RoleGrant.objects.create(user=user, role=role, org=org)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=user, after=user_snapshot(user),
              org_path=user_org_path(user), source=source)
    for grant in RoleGrant.objects.filter(user=user).select_related("org", "user"):
        audit_log(actor=actor, action=AuditAction.CREATE, obj=grant, after=_grant_snapshot(grant),
                  org_path=grant.org.path, source=source)
    return user


@transaction.atomic
def user_update(*, actor, user: User, source: str = "web", **changes: Any) -> User:
    """Change display_name, member, is_active, is_superuser or password (a reset) of a user."""
    allowed = {"display_name", "member", "is_active", "is_superuser", "password"}
    if set(changes) - allowed:
        raise ValueError(f"unknown user fields {set(changes) - allowed}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_manage_user(actor, user):
        raise PermissionDenied("该用户拥有您管理范围以外的角色，您不能修改")
    scope = _actor_scope(actor)
    changes_superuser = "is_superuser" in changes and bool(changes["is_superuser"]) != user.is_superuser
    if changes_superuser and scope is not None and not scope.is_admin:
        raise PermissionDenied("只有系统管理员可以设置系统管理员")
    new_member: Member | None = changes.get("member", user.member)
    if ("member" in changes and new_member is not None and new_member.pk != user.member_id
            and scope is not None and not (scope.is_admin or scope.in_paths(new_member.branch.path,
                                                                            scope.admin_paths))):
        raise PermissionDenied("只能关联您管理范围内的党员")
    errors: rules.Errors = []
    display_name = (changes.get("display_name", user.display_name) or "").strip()
    if len(display_name) > 50:
        errors.append(("display_name", "显示名称不能超过50个字"))
    if actor is not None and actor.pk == user.pk:
        if changes.get("is_active") is False:
            errors.append(("is_active", "不能停用自己的账号"))
        if changes.get("is_superuser") is False and user.is_superuser:
            errors.append(("is_superuser", "不能取消自己的系统管理员身份"))
    if "password" in changes:
        errors += _password_errors(changes["password"], user)
    errors += _member_link_errors(new_member, user)
    raise_errors(errors)
    before = user_snapshot(user)
    user.display_name, user.member = display_name, new_member
    for key in ("is_active", "is_superuser"):
        if key in changes:
            setattr(user, key, bool(changes[key]))
    user.is_staff = user.is_superuser
    if "password" in changes:
        user.set_password(changes["password"])
    user.save()
    after = user_snapshot(user)
    if "password" in changes:
        after["password"] = "（已重置）"
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=user, before=before, after=after,
              org_path=user_org_path(user), source=source)
    return user


def _grant_snapshot(grant: RoleGrant) -> dict:
    return {"user": grant.user.username, "role": grant.role, "org": grant.org.code}


@transaction.atomic
def role_grant(*, actor, user: User, role: str, org: Organization, source: str = "web") -> RoleGrant:
    if org is not None and not may_grant_in(actor, org):
        raise PermissionDenied("只能在您管理的组织范围内授予角色")
    raise_errors(_grant_errors(user, role, org))
    grant = RoleGrant.objects.create(user=user, role=role, org=org)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=grant, after=_grant_snapshot(grant), org_path=org.path,
              source=source)
    return grant


@transaction.atomic
def role_revoke(*, actor, grant: RoleGrant, source: str = "web") -> None:
    if not may_grant_in(actor, grant.org):
        raise PermissionDenied("只能撤销您管理的组织范围内的角色")
    if actor is not None and actor.pk == grant.user_id:
        raise ValidationError({"role": ["不能撤销自己的角色，请联系上级管理员"]})
    audit_log(actor=actor, action=AuditAction.DELETE, obj=grant, before=_grant_snapshot(grant),
              org_path=grant.org.path, source=source)
    grant.delete()
