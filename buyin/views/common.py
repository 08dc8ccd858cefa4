"""What the buy-in pages share: whose agency a page is about."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from deflection.models import Agency, User
from deflection.permissions import administers_programs, agencies_of_program, leads_buyin


def led_agency(request: HttpRequest) -> tuple[Agency, list[Agency]]:
    """The agency whose training and champions the user leads (command staff: their own; a
    program administrator picks one of the program's with `agency`), and the agencies to
    switch between."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_command and user.agency_id:
        agency = user.agency
        choices: list[Agency] = []
    elif administers_programs(user):
        choices = list(agencies_of_program(user))
        raw = request.POST.get("agency") or request.GET.get("agency")
        # Another program's agency is as missing as one that does not exist: never the first instead.
        agency = next((a for a in choices if str(a.pk) == raw), None) if raw else next(iter(choices), None)
    else:
        raise Http404
    if agency is None or not leads_buyin(user, agency_id=agency.pk):
        raise Http404
    return agency, choices
