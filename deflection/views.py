from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults

from deflection.models import User
from deflection.permissions import is_regional_coordinator

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
    if is_regional_coordinator(user):
        return redirect("reports:program")
    return redirect(ROLE_HOME[user.role])


@login_required
def demo_outbox(request: HttpRequest) -> HttpResponse:
    """The embedded demo's mail: reminders and digests the worker sent, readable in the
    browser. Only in demo mode (made-up data); a real deployment sends real mail."""
    if not settings.DEMO_MODE:
        raise Http404
    user: User = request.user  # type: ignore[assignment]
    # Each user reads the mail sent to them, as in a real mailbox (another agency's digest
    # is not theirs to read); the demo's administrator, a superuser, reads it all.
    sees_all = user.is_superuser
    folder = Path(settings.EMAIL_FILE_PATH)
    sent = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:30]:
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                message = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
                if sees_all or _addressed_to(message, user.email):
                    sent.append(_readable(message))
    # Not "messages": that name is the flash messages' in every template.
    return render(request, "demo_outbox.html", {"sent_mail": sent[:50], "folder": folder, "sees_all": sees_all})


def _addressed_to(message: email.message.EmailMessage, address: str) -> bool:
    """Whether the message's To or Cc names this address (case ignored, as mail servers do)."""
    if not address.strip():
        return False
    headers = [str(value) for field in ("To", "Cc") for value in message.get_all(field, [])]
    return address.strip().lower() in {found.lower() for _name, found in email.utils.getaddresses(headers)}


def _local(header) -> str:
    """The message's Date header in the signed-in user's time zone, like every time shown."""
    try:
        sent = email.utils.parsedate_to_datetime(str(header))
    except (TypeError, ValueError):
        return str(header or "")
    return timezone.localtime(sent).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(sent) else str(header)


def _readable(message: email.message.EmailMessage) -> dict:
    body = message.get_body(preferencelist=("plain",))
    return {
        "subject": str(message.get("Subject", "")),
        "to": str(message.get("To", "")),
        "date": _local(message.get("Date")),
        "text": body.get_content() if body is not None else "",
    }


# The API's addresses answer in JSON, those that match no endpoint (or fail) included: its
# clients are systems reading JSON, not people reading pages.
API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return defaults.server_error(request)
