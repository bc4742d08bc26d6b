"""Django admin (Chinese), read-only: the ledger is never edited; awards, claims, specials and pack versions are
written through the points pages and services (validated, audited)."""

from django.contrib import admin

from dangjian.orgs.admin import ReadOnlyAdmin

from .models import PointClaim, PointEntry, PointPackVersion, SpecialAssessment


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ("occurred_on", "member", "org", "category", "rule", "points", "source", "source_key", "reverses",
                    "created_by", "approved_by", "created_at")
    list_filter = ("source", "category", "year")
    list_select_related = ("member", "org", "reverses", "created_by", "approved_by")
    search_fields = ("member__name", "rule", "source_key", "reason")
    raw_id_fields = ("member", "org", "top_org", "activity", "claim", "reverses", "assessment")
    date_hierarchy = "occurred_on"
    show_full_result_count = False


@admin.register(PointClaim)
class PointClaimAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "org", "rule", "points", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("member", "org", "decided_by")
    search_fields = ("member__name", "rule", "reason")
    raw_id_fields = ("member", "org", "entry", "assessment")


@admin.register(SpecialAssessment)
class SpecialAssessmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "org", "starts_on", "ends_on", "weight", "max_points", "active")
    list_filter = ("active",)
    list_select_related = ("org",)
    search_fields = ("name", "org__name")


@admin.register(PointPackVersion)
class PointPackVersionAdmin(ReadOnlyAdmin):
    list_display = ("org", "effective_from", "note", "created_by", "created_at")
    list_select_related = ("org", "created_by")
    search_fields = ("org__code", "org__name", "note")
