from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "pingan.screening"
    label = "screening"
    verbose_name = "矛盾纠纷排查"
