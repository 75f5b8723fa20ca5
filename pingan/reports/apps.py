from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pingan.reports"
    verbose_name = "调度通报"
