from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "pingan.campaigns"
    verbose_name = "专项整治"
