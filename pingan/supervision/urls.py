from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.supervision_list, name="list"),
    path("export/", views.supervision_export, name="export"),
]
