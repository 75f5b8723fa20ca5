from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pingan.accounts"
    label = "accounts"
    verbose_name = "用户与授权"
