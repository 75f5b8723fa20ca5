from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "pingan.assessment"
    verbose_name = "考核评价"
