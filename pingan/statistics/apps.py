from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "pingan.statistics"
    label = "statistics"
    verbose_name = "统计指标"
