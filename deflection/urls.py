from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminSignInForm
from deflection import views

admin.site.site_header = _("Deflection administration")
admin.site.site_title = _("Deflection")
admin.site.index_title = _("Program administration")
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("demo/mail/", views.demo_outbox, name="demo_outbox"),
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
