from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

import pingan.api.urls  # noqa: F401  (registers the routers)
from pingan.api.base import api

admin.site.site_header = "平安 · 综治中心案件平台"
admin.site.site_title = "平安"
admin.site.index_title = "配置与管理"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
