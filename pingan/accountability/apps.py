from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "pingan.accountability"
    label = "accountability"
    verbose_name = "问责台账"
