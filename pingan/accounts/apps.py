from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pingan.accounts"
    label = "accounts"
    verbose_name = "用户与授权"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import logins

        # After axes' own receivers (its app is readied first): the lockout state is known by then.
        user_logged_in.connect(logins.on_logged_in, dispatch_uid="accounts.login")
        user_login_failed.connect(logins.on_login_failed, dispatch_uid="accounts.login_failed")
        user_locked_out.connect(logins.on_locked_out, dispatch_uid="accounts.locked_out")
