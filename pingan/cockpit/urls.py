from django.urls import path

from . import behind, views

app_name = "cockpit"
urlpatterns = [
    path("", views.cockpit, name="page"),
    path("figures/", behind.behind_page, name="behind"),
]
