from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/<str:choice>/", views.report, name="report"),
    path("r/", views.track, name="track"),
    path("regions/", views.region_options, name="regions"),
]
