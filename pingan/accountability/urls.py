from django.urls import path

from . import views

app_name = "accountability"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("new/", views.entry_new, name="new"),
    path("<int:entry_id>/", views.entry_detail, name="detail"),
    path("<int:entry_id>/record/", views.entry_record, name="record"),
]
# One route per action, so that each is named (and walked by tests/test_scope_walk.py) on its own.
for action in ("confirm", "dismiss", "lift", "upload", "link", "unlink"):
    urlpatterns.append(path(f"<int:entry_id>/{action}/", views.entry_action, {"action": action}, name=action))
