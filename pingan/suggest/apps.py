from django.apps import AppConfig


class SuggestConfig(AppConfig):
    name = "pingan.suggest"
    verbose_name = "智能建议"

    def ready(self):
        """Cases may not import this app (STYLE: layers run one way): the intake and dispatch forms
        learn from the hint table where to ask for suggestions, and that there are none until a model
        has been trained."""
        from pingan.cases.views import hints

        from .selectors import model_exists

        hints.HINTS[hints.INTAKE_CATEGORY] = hints.Hint("suggest:intake", model_exists)
        hints.HINTS[hints.DISPATCH_LEAD_UNIT] = hints.Hint("suggest:dispatch", model_exists)
