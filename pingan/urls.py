from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import pingan.api.urls  # noqa: F401  (registers the routers)
from pingan.accounts.views import otp_setup, otp_verify
from pingan.api.base import api
from pingan.cases.views.home import home

# Every uncaught exception ends here: a database outage answers 503 (pingan.core.outage).
handler500 = "pingan.core.outage.server_error"

admin.site.site_header = "平安 · 综治中心案件平台"
admin.site.site_title = "平安"
admin.site.index_title = "配置与管理"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("login/otp/", otp_verify, name="otp_verify"),
    path("account/otp/", otp_setup, name="otp_setup"),
    path("cases/", include("pingan.cases.urls")),
    path("cases/", include("pingan.documents.urls")),
    path("notices/", include("pingan.notices.urls")),
    path("exports/", include("pingan.exports.urls")),
    path("supervision/", include("pingan.supervision.urls")),
    path("audit/", include("pingan.audit.urls")),
    path("statistics/", include("pingan.statistics.urls")),
    path("screening/", include("pingan.screening.urls")),
    path("inspections/", include("pingan.inspections.urls")),
    path("creation/", include("pingan.creation.urls")),
    path("reports/", include("pingan.reports.urls")),
    path("accountability/", include("pingan.accountability.urls")),
    path("focus-areas/", include("pingan.focusareas.urls")),
    path("surges/", include("pingan.surges.urls")),
    path("cockpit/", include("pingan.cockpit.urls")),
    path("campaigns/", include("pingan.campaigns.urls")),
    path("suggest/", include("pingan.suggest.urls")),
    path("portal/", include("pingan.portal.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("pingan.open311.urls")),
]
