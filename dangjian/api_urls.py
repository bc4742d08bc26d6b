"""The JSON API (django-ninja): one NinjaAPI, one router per app; OpenAPI at /api/docs."""

from django.urls import path
from ninja import NinjaAPI

from dangjian.orgs.api import router as orgs_router

api = NinjaAPI(title="党建工作标准化管理平台 API", version="1", urls_namespace="api")
api.add_router("/", orgs_router)

urlpatterns = [path("", api.urls)]
