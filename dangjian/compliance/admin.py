"""Django admin (Chinese): rule overrides are kept here through the services (validated, audited);
rectification tasks are read-only (their workflow lives on the 整改任务 pages)."""

from django import forms
from django.contrib import admin

from dangjian.orgs.admin import ReadOnlyAdmin
from dangjian.standards.loader import PackError

from . import services
from .models import RectificationTask, RuleOverride
from .pack import effective_rules, load_pack


class RuleOverrideForm(forms.ModelForm):
    class Meta:
        model = RuleOverride
        fields = ["org", "rule", "enabled", "params", "note"]

    def clean(self):
        data = super().clean()
        org, rule = data.get("org"), data.get("rule")
        if org is not None and rule:
            change = {"enabled": data.get("enabled", True), "params": data.get("params") or {}}
            try:
                effective_rules(load_pack(), org.path, {org.path: {rule: change}})
            except PackError as exc:
                raise forms.ValidationError(str(exc))
        return data


@admin.register(RuleOverride)
class RuleOverrideAdmin(admin.ModelAdmin):
    form = RuleOverrideForm
    list_display = ("org", "rule", "enabled", "params", "note", "created_by", "created_at")
    list_select_related = ("org", "created_by")
    search_fields = ("org__code", "org__name", "rule")
    raw_id_fields = ("org",)

    def save_model(self, request, obj, form, change):
        saved = services.override_set(actor=request.user, org=obj.org, rule=obj.rule, enabled=obj.enabled,
                                      params=obj.params, note=obj.note, source="admin")
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.override_delete(actor=request.user, override=obj, source="admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("org"):
            services.override_delete(actor=request.user, override=obj, source="admin")


@admin.register(RectificationTask)
class RectificationTaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "org", "rule", "period", "status", "deadline", "created_at")
    list_filter = ("status", "source")
    list_select_related = ("org",)
    search_fields = ("title", "org__code", "rule", "fingerprint")
