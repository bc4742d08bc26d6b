from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import ApiToken, Member, MemberPost, Organization, RoleGrant, User, WorkTeam


@admin.register(Organization)
class OrganizationAdmin(TreeAdmin):
    form = movenodeform_factory(Organization)
    list_display = ["name", "code", "kind", "founded_on", "term_started_on"]
    search_fields = ["name", "code"]
    list_filter = ["kind"]


@admin.register(WorkTeam)
class WorkTeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "branch", "staff_count", "contact_member"]
    search_fields = ["code", "name"]
    raw_id_fields = ["branch", "contact_member"]


class MemberPostInline(admin.TabularInline):
    model = MemberPost
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "branch", "job_post", "admin_title"]
    list_filter = ["category", "work_status"]
    search_fields = ["name"]
    raw_id_fields = ["branch", "group", "team"]
    inlines = [MemberPostInline]


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["org"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("党建", {"fields": ("display_name", "member")}))
    raw_id_fields = ["member"]
    inlines = [RoleGrantInline]
    list_display = ["username", "display_name", "member", "is_superuser", "is_active"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["key_hash", "prefix"]
