from django.urls import path

from dangjian.compliance.views import rectification as views

urlpatterns = [
    path("rectification/", views.rectification_list, name="rectification_list"),
    path("rectification/new/", views.rectification_create, name="rectification_create"),
    path("rectification/<int:pk>/", views.rectification_detail, name="rectification_detail"),
]
