from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "pingan.cockpit"
    verbose_name = "领导驾驶舱"
