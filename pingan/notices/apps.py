from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "pingan.notices"
    verbose_name = "消息提醒"

    def ready(self):
        from pingan.accounts.signals import sensitive_role_granted
        from pingan.cases.events import events_written
        from pingan.cases.retention import case_purged
        from pingan.cases.sweep import sweeping

        from . import delivery, digest

        events_written.connect(delivery.queue_for_events, dispatch_uid="notices.queue_for_events")
        case_purged.connect(delivery.forget_purged, dispatch_uid="notices.forget_purged")
        sensitive_role_granted.connect(delivery.tell_auditors, dispatch_uid="notices.tell_auditors")
        sweeping.connect(digest.on_sweep, dispatch_uid="notices.leader_digest")
