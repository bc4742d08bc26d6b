from django.apps import AppConfig


class PointsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dangjian.points"
    label = "points"
    verbose_name = "党员积分"
