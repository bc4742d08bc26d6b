from django.urls import path

from . import views

urlpatterns = [
    # templates (the "1+13")
    path("templates/", views.template_list, name="template_list"),
    path("templates/<str:kind>/", views.template_detail, name="template_detail"),
    path("templates/<str:kind>/customize/", views.template_customize, name="template_customize"),
    # activities
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/advance/", views.activity_advance, name="activity_advance"),
    path("activities/<int:pk>/attendance/", views.activity_attendance, name="activity_attendance"),
    path("activities/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    # the secretary's month and the member's own view
    path("month/", views.work_month, name="work_month"),
    path("my/activities/", views.my_activities, name="my_activities"),
    path("my/activities/<int:pk>/leave/", views.leave_request, name="leave_request"),
    # documents and feeds
    path("activities/<int:pk>/record.docx", views.activity_record_docx, name="activity_record_docx"),
    path("orgs/<str:code>/ledger/<int:year>.docx", views.ledger_docx, name="ledger_docx"),
    path("orgs/<str:code>/ledger/<int:year>.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("calendar/", views.calendar_links, name="calendar_links"),
    path("ics/member/<str:token>.ics", views.ics_member, name="ics_member"),
    path("ics/org/<str:code>/<str:token>.ics", views.ics_org, name="ics_org"),
]
