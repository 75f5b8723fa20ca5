from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("generate/", views.report_generate, name="generate"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/state/", views.report_state, name="state"),
    path("<int:report_id>/file.docx", views.report_file, {"ext": "docx"}, name="docx"),
    path("<int:report_id>/file.xlsx", views.report_file, {"ext": "xlsx"}, name="xlsx"),
    path("<int:report_id>/<str:action>/", views.report_action, name="action"),
]
