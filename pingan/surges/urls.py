from django.urls import path

from . import views

app_name = "surges"
urlpatterns = [
    path("", views.page, name="page"),
    path("<int:alert_id>/", views.detail, name="detail"),
    path("<int:alert_id>/dismiss/", views.dismiss, name="dismiss"),
    path("<int:alert_id>/open-case/", views.open_case, name="open_case"),
]
