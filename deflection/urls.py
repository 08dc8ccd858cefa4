from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from deflection import views

admin.site.site_header = _("Deflection administration")
admin.site.site_title = _("Deflection")
admin.site.index_title = _("Program administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("demo/mail/", views.demo_outbox, name="demo_outbox"),
    # The core names the apps by string only.
    path("", include("referrals.urls")),
    path("reports/", include("reports.urls")),
]
