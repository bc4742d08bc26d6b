"""Small display helpers for the organization, roster and user pages."""

import datetime as dt

from django import template
from django.utils.html import format_html

from dangjian.core.idcard import age_on
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.orgs.models import Category, OrgKind

register = template.Library()

KIND_CLASS = {
    OrgKind.COMMITTEE: "kind-committee",
    OrgKind.GENERAL_BRANCH: "kind-general",
    OrgKind.BRANCH: "kind-branch",
    OrgKind.GROUP: "kind-group",
}
CATEGORY_CLASS = {
    Category.APPLICANT: "cat-applicant",
    Category.ACTIVIST: "cat-activist",
    Category.CANDIDATE: "cat-candidate",
    Category.PROBATIONARY: "cat-probationary",
    Category.FULL: "cat-full",
}


@register.simple_tag
def kind_badge(org):
    return format_html('<span class="badge badge-kind {}">{}</span>', KIND_CLASS.get(org.kind, ""),
                       org.get_kind_display())


@register.simple_tag
def category_badge(member):
    return format_html('<span class="badge badge-cat {}">{}</span>', CATEGORY_CLASS.get(member.category, ""),
                       member.get_category_display())


@register.simple_tag
def shown_id(scope, member):
    """The ID number, masked unless the scope may see it in full."""
    if scope is not None and scope.sees_id_numbers(member):
        return member.id_number
    return mask_id_number(member.id_number)


@register.simple_tag
def shown_phone(scope, member):
    if scope is not None and scope.sees_phones(member):
        return member.phone
    return mask_phone(member.phone)


@register.filter
def age(birth_date):
    if not birth_date:
        return ""
    return age_on(birth_date, dt.date.today())


@register.filter
def post_names(member) -> str:
    """党内职务 joined with 、 (uses prefetched posts)."""
    return "、".join(sorted((p.post for p in member.posts.all()), key=_post_rank))


_POST_ORDER = ["书记", "副书记", "组织委员", "宣传委员", "纪检委员", "青年委员", "委员", "党小组长"]


def _post_rank(post: str) -> int:
    return _POST_ORDER.index(post) if post in _POST_ORDER else len(_POST_ORDER)


@register.filter
def percent(ratio) -> str:
    if ratio is None:
        return "—"
    return f"{ratio * 100:.1f}%"



@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def category_choices():
    return Category.choices
