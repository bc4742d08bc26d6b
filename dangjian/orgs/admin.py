"""Django admin (Chinese) for system administrators.

Organizations, teams and members are read-only here: their validation and audit live in the services
that the main pages, the API and the importer use. Users, role grants and API tokens may be changed
here, and every change is audit-logged like anywhere else.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from dangjian.core.audit import audit_log, snapshot
from dangjian.core.models import AuditAction

from .models import ApiToken, Member, MemberPost, Organization, RoleGrant, User, WorkTeam


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_log(actor=request.user, action=AuditAction.UPDATE if change else AuditAction.CREATE, obj=obj,
                  before=before, after=snapshot(obj), source="admin")

    def delete_model(self, request, obj):
        audit_log(actor=request.user, action=AuditAction.DELETE, obj=obj, before=snapshot(obj), source="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "kind", "depth", "founded_on", "term_started_on", "term_years"]
    search_fields = ["name", "code"]
    list_filter = ["kind"]
    ordering = ["path"]


@admin.register(WorkTeam)
class WorkTeamAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "branch", "staff_count", "contact_member"]
    search_fields = ["code", "name"]
    list_select_related = ["branch", "contact_member"]


class MemberPostInline(admin.TabularInline):
    model = MemberPost
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["name", "category", "branch", "job_post", "admin_title"]
    list_filter = ["category", "work_status"]
    search_fields = ["name"]
    list_select_related = ["branch"]
    exclude = ["id_number", "phone"]
    inlines = [MemberPostInline]


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["org"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    # Django's UserAdmin always declares fieldsets; the stubs give them ModelAdmin's optional type.
    assert BaseUserAdmin.fieldsets is not None
    fieldsets = (*BaseUserAdmin.fieldsets, ("党建", {"fields": ("display_name", "member")}))
    raw_id_fields = ["member"]
    list_display = ["username", "display_name", "member", "is_superuser", "is_active", "last_login"]


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedAdmin):
    list_display = ["user", "role", "org"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request, obj=None):
        return False  # tokens are issued by `manage.py create_api_token`, which shows the key once
