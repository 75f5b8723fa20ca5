from django.apps import AppConfig


class SurgesConfig(AppConfig):
    name = "pingan.surges"
    label = "surges"
    verbose_name = "研判预警"

    def ready(self):
        from pingan.cases.sweep import sweeping

        from . import schedule

        # The day's detection runs with the first sweep after 06:00 (pingan sweep runs every few minutes).
        sweeping.connect(schedule.on_sweep, dispatch_uid="surges.on_sweep")
