from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.screening_page, name="page"),
    path("file/", views.file_return, name="file"),
]
