"""Who sees what. Every page, API endpoint and export asks these helpers, never templates alone.

- 系统管理员 (`is_superuser`): everything.
- 组织管理员: the subtree of each organization granted.
- 支部书记 / 支部委员: their branch and its 党小组s.
- 党员: themself only.

An object outside the user's scope raises Http404 (an outsider cannot tell it exists); an object the user
may see but not change raises PermissionDenied.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.core.treepaths import subtrees_q
from dangjian.orgs.models import Member, Organization, OrgKind, Role, RoleGrant, User, WorkTeam


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    admin_paths: tuple[str, ...] = ()  # subtrees granted as 组织管理员
    officer_paths: tuple[str, ...] = ()  # branches granted as 支部书记/委员
    member_id: int | None = None

    @property
    def manage_paths(self) -> tuple[str, ...]:
        return self.admin_paths + self.officer_paths

    @property
    def is_officer(self) -> bool:
        return self.is_admin or bool(self.manage_paths)

    @property
    def is_org_admin(self) -> bool:
        return self.is_admin or bool(self.admin_paths)

    def org_q(self, prefix: str = "") -> Q:
        """Organizations visible (prefix reaches an Organization, e.g. "branch__")."""
        return Q() if self.is_admin else subtrees_q(self.manage_paths, f"{prefix}path")

    def member_q(self) -> Q:
        if self.is_admin:
            return Q()
        q = subtrees_q(self.manage_paths, "branch__path")
        if self.member_id is not None:
            q |= Q(pk=self.member_id)
        return q

    def in_paths(self, path: str, paths: tuple[str, ...]) -> bool:
        return any(path.startswith(p) for p in paths)

    def sees_org(self, org: Organization) -> bool:
        return self.is_admin or self.in_paths(org.path, self.manage_paths)

    def manages_members_of(self, branch: Organization) -> bool:
        return self.sees_org(branch)

    def manages_org(self, org: Organization) -> bool:
        """May edit this organization's own record."""
        if self.is_admin or self.in_paths(org.path, self.admin_paths):
            return True
        # A branch officer keeps their branch's 党小组s in order, not the branch itself.
        return org.kind == OrgKind.GROUP and self.in_paths(org.path, self.officer_paths)

    def may_add_child(self, parent: Organization | None, kind: str) -> bool:
        if parent is None:
            return self.is_admin
        if self.is_admin or self.in_paths(parent.path, self.admin_paths):
            return True
        return kind == OrgKind.GROUP and parent.path in self.officer_paths

    def sees_id_numbers(self, member: Member | None = None) -> bool:
        if member is not None and member.pk == self.member_id:
            return True
        if self.is_admin:
            return True
        if member is None:
            return bool(self.admin_paths)
        return self.in_paths(member.branch.path, self.admin_paths)

    def sees_phones(self, member: Member | None = None) -> bool:
        if member is not None and member.pk == self.member_id:
            return True
        if self.is_admin:
            return True
        if member is None:
            return bool(self.manage_paths)
        return self.in_paths(member.branch.path, self.manage_paths)


def get_scope(user) -> Scope:
    """The user's scope, computed once per user object (one query)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_dangjian_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(is_admin=True, member_id=user.member_id)
    else:
        admin: list[str] = []
        officer: list[str] = []
        for role, path in RoleGrant.objects.filter(user=user).values_list("role", "org__path"):
            (admin if role == Role.ORG_ADMIN else officer).append(path)
        scope = Scope(admin_paths=_roots(admin), officer_paths=_roots(officer), member_id=user.member_id)
    user._dangjian_scope = scope
    return scope


def _roots(paths: list[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the list."""
    out: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(r) for r in out):
            out.append(p)
    return tuple(out)


def orgs_for(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(get_scope(user).org_q())


def members_for(user: User) -> QuerySet[Member]:
    return Member.objects.filter(get_scope(user).member_q())


def teams_for(user: User) -> QuerySet[WorkTeam]:
    return WorkTeam.objects.filter(get_scope(user).org_q("branch__"))


def get_org_for_user(user: User, code: str) -> Organization:
    try:
        return orgs_for(user).get(code=code)
    except Organization.DoesNotExist:
        raise Http404("组织不存在或无权查看")


def get_member_for_user(user: User, pk: int) -> Member:
    try:
        return members_for(user).select_related("branch", "group", "team").get(pk=pk)
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404("人员不存在或无权查看")


def get_team_for_user(user: User, code: str) -> WorkTeam:
    try:
        return teams_for(user).select_related("branch", "contact_member").get(code=code)
    except WorkTeam.DoesNotExist:
        raise Http404("班组不存在或无权查看")


def require(allowed: bool, message: str = "您没有执行此操作的权限") -> None:
    if not allowed:
        raise PermissionDenied(message)
