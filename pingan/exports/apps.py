from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "pingan.exports"
    verbose_name = "导出"

    def ready(self):
        from pingan.cases.retention import files_expire

        from . import jobs

        files_expire.connect(jobs.on_purge, dispatch_uid="exports.on_purge")
