"""A partner's page: its details and scorecard (from the metrics, which live here in reports)
beside the relationship that partners keeps (its log and tier history, from partners'
selectors). The forms on it post to partners' views."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from deflection.permissions import (
    administers_agency,
    may_manage_partner_relations,
    may_see_partner_relations,
    shows_agency,
)
from partners.forms import PartnerContactForm, TierChangeForm
from partners.models import ServicePartner
from partners.selectors import partner_get_for_user, partner_relationship_log
from reports import dashboard as dashboard_data
from reports import metrics

# The months the scorecard covers: the last three counted, as the dashboard's partners'
# records; a window moved a day at a time would differ from yesterday's by a day's few clients
# (reports/metrics/cohorts.py).
SCORECARD_MONTHS = 3


def _scorecards(*, partner: ServicePartner, user: User, now: datetime) -> list[dict]:
    """The partner's scorecard row for each agency it serves that the user may see, over the
    last SCORECARD_MONTHS months counted on the agency's own calendar, as the dashboard shows
    them."""
    cards = []
    for agency in sorted(partner.agencies.all(), key=lambda a: a.pk):
        if agency.pk != user.agency_id and not administers_agency(user, agency=agency):
            continue
        zone = zoneinfo.ZoneInfo(agency.timezone)
        counted_at = metrics.counted_until(agency.pk)
        rollups = counted_at is not None
        # As of what the rollups have taken in (see the dashboard).
        scope = metrics.months_counted(
            agency.pk, SCORECARD_MONTHS, zone=zone, before=min(now, counted_at) if rollups else now
        )
        end = scope.end
        first, last = scope.start.date(), (end - timedelta(days=1)).date()
        # The agency's whole scorecard, as its dashboard shows it for these months, and this
        # partner's row of it: what the dashboard withholds of it is withheld here too.
        shown = metrics.treatment_shown(scope, zone=zone, rollups=rollups) and metrics.breakdown_shown(
            scope, "partner", zone=zone, rollups=rollups
        )
        rows = dashboard_data.scorecard_rows(metrics.partner_scorecard(scope, rollups=rollups), withhold=not shown)
        row = next((r for r in rows if r["partner_id"] == partner.pk), None)
        cards.append({"agency": agency, "first": first, "last": last, "row": row, "withheld": not shown})
    return cards


def _forms(*, partner: ServicePartner, today) -> list[dict]:
    """The program administrator's forms on the page; each posts to partners' views."""
    return [
        {
            "id": "contact-add",
            "summary": _("Record a contact"),
            "action": reverse("partners:contact_add", kwargs={"partner_id": partner.pk}),
            "form": PartnerContactForm(today=today),
            "button": _("Add to the log"),
        },
        {
            "id": "tier-change",
            "summary": _("Change the engagement tier"),
            "action": reverse("partners:tier_change", kwargs={"partner_id": partner.pk}),
            "form": TierChangeForm(partner=partner),
            "button": _("Change the tier"),
        },
    ]


@login_required
def partner_page(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Program administration keeps the relationship here; command staff read it for the
    partners serving their agency, without the forms."""
    user: User = request.user  # type: ignore[assignment]
    if not may_see_partner_relations(user):
        raise Http404
    partner = partner_get_for_user(user=user, partner_id=partner_id)
    now = timezone.now()
    log = partner_relationship_log(partner=partner, now=now)
    can_manage = may_manage_partner_relations(user)
    return render(
        request,
        "reports/partner.html",
        {
            "partner": partner,
            "agencies_served": [a for a in partner.agencies.all() if shows_agency(user, a)],
            "scorecards": _scorecards(partner=partner, user=user, now=now),
            "log": log,
            "can_manage": can_manage,
            "forms": _forms(partner=partner, today=log.today) if can_manage else [],
        },
    )
