from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "pingan.supervision"
    verbose_name = "督办"

    def ready(self):
        """Cases may not import this app (STYLE: layers run one way), so the app hooks itself in: its
        actions into the case actions' table and the case page's forms, its panel into the case page,
        its listing of major hazards onto the event writer, its check of missed reports onto the sweep."""
        from pingan.cases import actions as case_actions
        from pingan.cases.events import events_written
        from pingan.cases.sweep import sweeping
        from pingan.cases.views import detail, forms

        from . import actions, panel, sweep
        from .forms import ACTION_FIELDS

        for name, action in actions.TABLE.items():
            case_actions.register(name, action)
        forms.ACTION_FIELDS.update(ACTION_FIELDS)
        detail.CASE_PANELS.append(panel.case_panel)
        events_written.connect(actions.list_on_acceptance, dispatch_uid="supervision.list_on_acceptance")
        sweeping.connect(sweep.on_sweep, dispatch_uid="supervision.on_sweep")
