from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.log_page, name="log"),
    path("export.xlsx", views.export, name="export"),
    path("verify/", views.verify, name="verify"),
    path("chain/", views.chain, name="chain"),
]
