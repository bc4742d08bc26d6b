from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dangjian.compliance"
    label = "compliance"
    verbose_name = "规范化检查"
