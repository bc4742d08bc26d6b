"""The web pages of organizations, the roster, red teams, users and the member's own page."""

from .members import branch_fields, me, member_create, member_delete, member_detail, member_edit, member_list
from .orgs import org_children, org_create, org_detail, org_edit, org_suggest, org_tree
from .teams import team_create, team_edit, team_list
from .users import member_suggest, user_create, user_edit, user_list

__all__ = [
    "branch_fields", "me", "member_create", "member_delete", "member_detail", "member_edit", "member_list",
    "member_suggest", "org_children", "org_create", "org_detail", "org_edit", "org_suggest", "org_tree",
    "team_create", "team_edit", "team_list", "user_create", "user_edit", "user_list",
]
