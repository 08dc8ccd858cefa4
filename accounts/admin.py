"""Sign-in records in the admin, read-only: failed sign-ins, lockouts and sign-ins are
evidence (CJIS asks for them), so nobody edits them. Deleting a current attempt is allowed:
it is how the program manager lifts a lockout early."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest

from deflection.models import User
from deflection.permissions import in_program


class ReadOnly:
    """The sign-in records of the program's people, for its administrator (a superuser's: all)."""

    def get_queryset(self, request: HttpRequest):
        attempts = super().get_queryset(request)
        if request.user.is_superuser:
            return attempts
        return attempts.filter(username__in=in_program(User.objects.all(), request.user).values("username"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class LockoutAdmin(ReadOnly, AccessAttemptAdmin):
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Lifting a lockout: the failures stay in the failure log.
        return super(ReadOnly, self).has_delete_permission(request, obj)


@admin.register(AccessFailureLog)
class FailedSignInAdmin(ReadOnly, AccessFailureLogAdmin):
    pass


@admin.register(AccessLog)
class SignInAdmin(ReadOnly, AccessLogAdmin):
    pass
