from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.place_list, name="list"),
    path("places/new/", views.place_new, name="place_new"),
    path("places/<int:place_id>/", views.place_page, name="place"),
    path("places/<int:place_id>/edit/", views.place_edit, name="place_edit"),
    path("places/<int:place_id>/inspect/", views.inspect, name="inspect"),
    path("records/<int:inspection_id>/notice.docx", views.notice_docx, name="notice"),
    path("findings/<int:finding_id>/recheck/", views.recheck, name="recheck"),
    path("rechecks/", views.rechecks, name="rechecks"),
    path("coverage/", views.coverage, name="coverage"),
]
