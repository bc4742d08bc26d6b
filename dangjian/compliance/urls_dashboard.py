from django.urls import path

from .views import dashboard

urlpatterns = [
    path("", dashboard.compliance_dashboard, name="compliance_dashboard"),
    path("export/", dashboard.compliance_export, name="compliance_export"),
    path("branch/<str:code>/", dashboard.compliance_branch, name="compliance_branch"),
]
