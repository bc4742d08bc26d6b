"""Django admin (Chinese), read-only: assessment records change only through the services (validated, audited),
i.e. through the assessment pages, the API and the CLI."""

from django.contrib import admin

from dangjian.orgs.admin import ReadOnlyAdmin

from .models import ChecklistItem, Evaluation, ItemScore, KpiIndicator, KpiValue, Post, VetoMark


class ItemScoreInline(admin.TabularInline):
    model = ItemScore
    extra = 0
    can_delete = False
    fields = ("item", "stage", "points", "note", "evidence", "by", "at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VetoMarkInline(ItemScoreInline):
    model = VetoMark
    fields = ("veto", "reason", "stage", "by", "at")
    readonly_fields = fields


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "subject_key", "org", "period", "version", "status", "score", "level", "vetoed",
                    "confirmed_at")
    list_filter = ("scheme", "status", "subject_kind", "vetoed", "year")
    list_select_related = ("org",)
    search_fields = ("scheme", "subject_key", "org__code", "org__name", "level")
    inlines = [ItemScoreInline, VetoMarkInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "org", "member", "year", "due_on", "done_on", "feeds")
    list_filter = ("year",)
    list_select_related = ("org", "member")
    search_fields = ("title", "org__code", "org__name", "member__name")


class KpiIndicatorInline(ItemScoreInline):
    model = KpiIndicator
    fields = ("code", "name", "unit", "coefficient", "higher_is_better", "from_year")
    readonly_fields = fields


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "org", "holder", "active", "since")
    list_filter = ("kind", "active")
    list_select_related = ("org", "holder")
    search_fields = ("name", "org__code", "org__name", "holder__name")
    inlines = [KpiIndicatorInline]


@admin.register(KpiValue)
class KpiValueAdmin(ReadOnlyAdmin):
    list_display = ("indicator", "period", "target", "actual", "by", "at")
    list_filter = ("year",)
    list_select_related = ("indicator", "indicator__post", "by")
    search_fields = ("indicator__code", "indicator__name", "indicator__post__name", "period")
