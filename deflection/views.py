from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from deflection.models import User

# Where each role lands after signing in.
ROLE_HOME = {
    User.Role.OFFICER: "referrals:log",
    User.Role.SUPERVISOR: "referrals:log",
    User.Role.CASE_MANAGER: "referrals:queue",
    User.Role.COMMAND: "reports:command_home",
    User.Role.PROGRAM_ADMIN: "admin:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_superuser:
        return redirect("admin:index")
    return redirect(ROLE_HOME[user.role])
