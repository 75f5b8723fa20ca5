from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "pingan.documents"
    verbose_name = "案件文书"

    def ready(self):
        """Cases may not import this app (STYLE: layers run one way), so it adds its list of printable
        documents to the case page through the page's panel hook."""
        from pingan.cases.views import detail

        from . import panel

        detail.CASE_PANELS.append(panel.case_panel)
