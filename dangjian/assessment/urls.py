from django.urls import path

from . import views

urlpatterns = [
    path("", views.assessment_overview, name="assessment_overview"),
    path("export.xlsx", views.assessment_export, name="assessment_export"),
    path("queue/", views.assessment_queue, name="assessment_queue"),
    path("card/<str:code>/", views.assessment_card, name="assessment_card"),
    path("card/<str:code>/approval.docx", views.assessment_approval_docx, name="assessment_approval_docx"),
    path("member/<int:pk>/", views.assessment_member_card, name="assessment_member_card"),
    path("mine/", views.assessment_mine, name="assessment_mine"),
    path("team/<str:code>/", views.assessment_team_card, name="assessment_team_card"),
    path("post/<int:pk>/", views.assessment_post_card, name="assessment_post_card"),
    path("teams/", views.assessment_teams, name="assessment_teams"),
    path("wall/", views.assessment_wall, name="assessment_wall"),
    path("kpi/", views.assessment_kpi, name="assessment_kpi"),
    path("kpi/post/", views.assessment_post_create, name="assessment_post_create"),
    path("kpi/indicator/", views.assessment_indicator_create, name="assessment_indicator_create"),
    path("kpi/value/", views.assessment_value_set, name="assessment_value_set"),
    path("checklists/", views.assessment_checklists, name="assessment_checklists"),
    path("checklists/<int:pk>/complete/", views.assessment_checklist_complete, name="assessment_checklist_complete"),
]
