from __future__ import annotations

import email
import email.header
import email.message
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

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


@login_required
def demo_outbox(request: HttpRequest) -> HttpResponse:
    """The embedded demo's mail: reminders and digests the worker sent, readable in the
    browser. Only in demo mode (made-up data); a real deployment sends real mail."""
    if not settings.DEMO_MODE:
        raise Http404
    folder = Path(settings.EMAIL_FILE_PATH)
    messages = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:30]:
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                messages.append(_readable(email.message_from_string(chunk.strip())))
    return render(request, "demo_outbox.html", {"messages": messages[:50], "folder": folder})


def _readable(message: email.message.Message) -> dict:
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            break
    subject = str(email.header.make_header(email.header.decode_header(message.get("Subject", ""))))
    return {"subject": subject, "to": message.get("To", ""), "date": message.get("Date", ""), "text": text}
