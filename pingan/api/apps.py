from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pingan.api"
    verbose_name = "接口"

    def ready(self):
        from pingan.cases.retention import case_purged

        from .idempotency import forget_purged

        case_purged.connect(forget_purged, dispatch_uid="api.forget_purged")
