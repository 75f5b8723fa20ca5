from django.urls import path

from . import views

app_name = "suggest"

urlpatterns = [
    path("intake/", views.intake_hint, name="intake"),
    path("cases/<str:number>/", views.dispatch_hint, name="dispatch"),
]
