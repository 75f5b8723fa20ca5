from django.urls import path

from .views import backlog, desk, detail, grid, imports, intake, ledger

app_name = "cases"

urlpatterns = [
    path("", ledger.ledger, name="ledger"),
    # Fixed paths (import, new…) go here, above the case-number patterns that would swallow them.
    path("new/", intake.new_case, name="new"),
    path("import/", imports.import_page, name="import"),
    path("import/template.xlsx", imports.import_template, name="import_template"),
    path("backlog/import/", backlog.backlog_import, name="backlog_import"),
    path("regions/", intake.region_options, name="region_options"),
    path("similar/", intake.similar_cases, name="similar"),
    path("inbox/", desk.inbox, name="inbox"),
    path("grid/", grid.grid_report, name="grid"),
    path("filters/", ledger.save_filter, name="save_filter"),
    path("filters/<int:pk>/delete/", ledger.delete_filter, name="delete_filter"),
    path("<str:number>/", detail.case_page, name="detail"),
    path("<str:number>/actions/<str:action>/", detail.take_action, name="action"),
    path("<str:number>/reveal/", detail.reveal, name="reveal"),
    path("<str:number>/attachments/<int:attachment_id>/", detail.attachment, name="attachment"),
]
