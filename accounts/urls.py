"""Signing in and out. Not namespaced: Django's own views find "login" and "logout" by name."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import SignInForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("logout/", views.SignOut.as_view(), name="logout"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("language/", views.language, name="language"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/code/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/off/", views.two_factor_remove, name="two_factor_remove"),
]
