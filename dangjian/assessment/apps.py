from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核评价"
