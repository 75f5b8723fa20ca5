from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "pingan.ops"
    label = "ops"
    verbose_name = "运维"
