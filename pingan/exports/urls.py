from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.my_exports, name="list"),
    path("ledger/", views.ledger_export, name="ledger"),
    path("<int:job_id>/", views.job_page, name="job"),
    path("<int:job_id>/file/", views.download, name="file"),
]
