from django.apps import AppConfig


class CreationConfig(AppConfig):
    name = "pingan.creation"
    label = "creation"
    verbose_name = "平安创建"

    def ready(self):
        """Statistics and cases may not import this app (STYLE: layers run one way), so it hooks itself
        in: an imported figure of a veto indicator revokes at once, and the sweep awards and revokes."""
        from pingan.cases.sweep import sweeping
        from pingan.cases.workflow import EVENT_LABELS
        from pingan.statistics.actions import figures_set

        from . import sweep

        # How `pingan sweep` names the counts this app adds to its report.
        EVENT_LABELS.setdefault("creation_revoked", "平安创建一票否决撤销命名")
        EVENT_LABELS.setdefault("creation_awarded", "平安创建公示期满命名")
        sweeping.connect(sweep.on_sweep, dispatch_uid="creation.on_sweep")
        figures_set.connect(sweep.on_figures, dispatch_uid="creation.on_figures")
