from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dangjian.core.auth import LoginView

admin.site.site_header = "党建工作标准化管理平台 · 系统管理"
admin.site.site_title = "党建工作标准化管理平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("dangjian.api_urls")),
    path("", include("dangjian.core.urls")),
    path("", include("dangjian.orgs.urls")),
    path("imports/", include("dangjian.imports.urls")),
    path("", include("dangjian.meetings.urls")),
    path("compliance/", include("dangjian.compliance.urls_rectification")),
    path("compliance/", include("dangjian.compliance.urls_dashboard")),
    path("points/", include("dangjian.points.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
]
