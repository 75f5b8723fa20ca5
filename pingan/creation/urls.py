from django.urls import path

from . import views

app_name = "creation"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("programmes/<int:programme_id>/", views.programme_detail, name="programme"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<int:organisation_id>/", views.organisation_detail, name="organisation"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:application_id>/", views.application_detail, name="application"),
    path("applications/<int:application_id>/scores/", views.application_scores, name="scores"),
    path("applications/<int:application_id>/evidence/", views.application_evidence, name="evidence"),
    path(
        "applications/<int:application_id>/evidence/<int:evidence_id>/",
        views.evidence_file,
        name="evidence_file",
    ),
    path("applications/<int:application_id>/steps/<str:step>/", views.application_step, name="step"),
    path("notice/", views.notice_list, name="notice"),
    path("sanling/", views.sanling_page, name="sanling"),
]
