from django.apps import AppConfig


class SuggestConfig(AppConfig):
    name = "pingan.suggest"
    verbose_name = "智能建议"

    def ready(self):
        """Cases may not import this app (STYLE: layers run one way): the intake and dispatch forms
        learn from the hint table where to ask for suggestions."""
        from pingan.cases.views import hints

        hints.URLS[hints.INTAKE_CATEGORY] = "suggest:intake"
        hints.URLS[hints.DISPATCH_LEAD_UNIT] = "suggest:dispatch"
