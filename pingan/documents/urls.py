from django.urls import path

from . import views

app_name = "documents"

# Included under cases/: a document lives beside the case page it prints.
urlpatterns = [
    path("<str:number>/documents/<str:kind>.docx", views.case_document, name="docx"),
]
