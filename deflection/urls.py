from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminSignInForm
from deflection import health, offline, views

admin.site.site_header = _("Deflection administration")
admin.site.site_title = _("Deflection")
admin.site.index_title = _("Program administration")
admin.site.login_form = AdminSignInForm
# "View site" would go to the home, which sends those who land on the admin back to it; the
# admin's header links to the first page of the user's menu instead (templates/admin/base_site.html).
admin.site.site_url = None

handler404 = "deflection.views.not_found"
handler500 = "deflection.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    # Answered by deflection.health.HealthMiddleware before sign-in and host checks.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("demo/mail/", views.demo_outbox, name="demo_outbox"),
    # The installable app: at the root, the service worker's scope is the whole site.
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("sw.js", offline.service_worker, name="service_worker"),
    # The core names the apps by string only.
    path("accounts/", include("accounts.urls")),
    path("", include("referrals.urls")),
    path("reports/", include("reports.urls")),
    path("buyin/", include("buyin.urls")),
    path("partners/", include("partners.urls")),
    path("integrations/", include("api.page_urls")),
    path("integrations/", include("api.webhooks.page_urls")),
    path("api/", include("api.urls")),
    path("fhir/", include("api.fhir.urls")),
]
