from django.apps import AppConfig


class FocusAreasConfig(AppConfig):
    name = "pingan.focusareas"
    label = "focusareas"
    verbose_name = "重点地区"
