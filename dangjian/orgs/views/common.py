"""Helpers shared by the page views."""

from django.core.paginator import Page

from dangjian.core.pagination import paginate
from dangjian.core.scoping import Scope, get_scope, require


def officer_scope(request) -> Scope:
    """The scope of a user who manages some organization; anyone else gets 403."""
    scope = get_scope(request.user)
    require(scope.is_officer, "此页面仅供党务管理人员使用")
    return scope


def admin_scope(request) -> Scope:
    scope = get_scope(request.user)
    require(scope.is_org_admin, "只有系统管理员和组织管理员可以管理用户与角色")
    return scope


def page_of(request, queryset, per_page: int | None = None) -> tuple[Page, str]:
    return paginate(request, queryset, per_page)


def htmx_target(request) -> str:
    """The id of the element an htmx request will swap ("" for a normal request)."""
    return (request.htmx.target or "") if getattr(request, "htmx", None) else ""
