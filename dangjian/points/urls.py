from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.points_me, name="points_me"),
    path("me/claims/", views.points_claim_create, name="points_claim_create"),
    path("member/<int:pk>/", views.points_member, name="points_member"),
    path("member/<int:pk>/award/", views.points_award, name="points_award"),
    path("entries/<int:pk>/reverse/", views.points_entry_reverse, name="points_entry_reverse"),
    path("ranking/", views.points_ranking, name="points_ranking"),
    path("export/", views.points_export, name="points_export"),
    path("grid/", views.points_grid_home, name="points_grid_home"),
    path("grid/<str:code>/", views.points_grid, name="points_grid"),
    path("grid/<str:code>/cell/", views.points_grid_cell, name="points_grid_cell"),
    path("claims/", views.points_claims, name="points_claims"),
    path("claims/<int:pk>/decide/", views.points_claim_decide, name="points_claim_decide"),
    path("claims/<int:pk>/evidence/", views.points_claim_evidence, name="points_claim_evidence"),
    path("specials/", views.points_specials, name="points_specials"),
    path("specials/new/", views.points_special_create, name="points_special_create"),
    path("specials/<int:pk>/", views.points_special_detail, name="points_special_detail"),
    path("specials/<int:pk>/edit/", views.points_special_edit, name="points_special_edit"),
    path("packs/", views.points_packs, name="points_packs"),
    path("packs/new/", views.points_pack_create, name="points_pack_create"),
]
