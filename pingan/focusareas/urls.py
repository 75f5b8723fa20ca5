from django.urls import path

from . import views

app_name = "focusareas"
urlpatterns = [
    path("", views.page, name="page"),
    path("add/", views.add, name="add"),
    path("<int:focus_id>/delist/", views.delist, name="delist"),
]
