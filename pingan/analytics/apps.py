from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "pingan.analytics"
    verbose_name = "统计汇总"

    def ready(self):
        from pingan.cases.events import events_written

        from .rollups import keep_rollups

        events_written.connect(keep_rollups, dispatch_uid="analytics.keep_rollups")
