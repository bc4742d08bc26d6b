"""Every write to organizations, teams and members: validated, audited, one transaction each.

Forms and the API call these; the importer shares `rules.py` and the audit helpers and writes in bulk.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.audit import audit_log, snapshot
from dangjian.core.idcard import normalize_id_number, parse_id_number
from dangjian.core.models import AuditAction

from . import rules
from .models import Member, MemberPost, Organization, OrgKind, PartyPost, WorkTeam

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
    org.delete()


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
    team.delete()


# --- members -------------------------------------------------------------------------------------


def member_snapshot(member: Member, posts: list[str] | None = None) -> dict:
    if posts is None:
        posts = sorted(member.posts.values_list("post", flat=True))
    return snapshot(member, extra={
        "branch": member.branch.code,
        "group": member.group.code if member.group_id else None,
        "team": member.team.code if member.team_id else None,
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
    if id_number and Member.objects.filter(id_number=id_number).exclude(pk=exclude_pk).exists():
        errors.append(("id_number", "该身份证号已登记，不能重复录入"))
    errors += unique_post_errors(branch=branch, group=group, posts=posts, exclude_pk=exclude_pk)
    return errors


def unique_post_errors(*, branch: Organization | None, group: Organization | None, posts: list[str],
                       exclude_pk: int | None) -> rules.Errors:
    """A branch has one 书记; a 党小组 has one 党小组长."""
    errors: rules.Errors = []
    if branch is not None and PartyPost.SECRETARY in posts:
        other = (MemberPost.objects.filter(post=PartyPost.SECRETARY, member__branch=branch)
                 .exclude(member_id=exclude_pk).select_related("member").first())
        if other:
            errors.append(("posts", f"本支部已有书记：{other.member.name}"))
    if group is not None and PartyPost.GROUP_LEADER in posts:
        other = (MemberPost.objects.filter(post=PartyPost.GROUP_LEADER, member__group=group)
                 .exclude(member_id=exclude_pk).select_related("member").first())
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
    member.delete()
