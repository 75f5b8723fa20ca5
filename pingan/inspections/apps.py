from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "pingan.inspections"
    label = "inspections"
    verbose_name = "隐患排查"

    def ready(self):
        """Cases may not import this app (STYLE: layers run one way), so the app hooks its panel into
        the case page: the place a hazard case was found at and its re-inspections."""
        from pingan.cases.views import detail

        from . import panel

        detail.CASE_PANELS.append(panel.case_panel)
