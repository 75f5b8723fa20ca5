from django.urls import path

from . import views

app_name = "statistics"
urlpatterns = [
    path("", views.statistics_page, name="page"),
    path("enter/", views.enter_value, name="enter"),
    path("template/", views.template, name="template"),
    path("import/", views.import_values, name="import"),
]
