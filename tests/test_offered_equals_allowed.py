"""What a referral page offers is exactly what the services accept.

For every member of the cast (and a program administrator who is not a superuser), on a
referral in every status, the page's forms and links are read from its HTML; then every
form a page can post about a referral is posted. What was offered must change the
database; what was not must be refused with nothing changed. A control hidden by a page
but taken by a service, or offered and then refused, fails here.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import CaseEvent, Consent, FollowUp, Referral
from referrals.selectors import consent_signing_window
from reports.models import SuccessStory
from tests.conftest import MEMBERS, changed_as_meant, referral_state
from tests.factories.referrals import OfficerFactory, ReferralFactory, consent_on_record

pytestmark = pytest.mark.django_db

S = Referral.Status
ROLES = MEMBERS
STATUSES = [S.REQUESTED, S.ACCEPTED, S.REJECTED, S.CANCELLED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED]
ACTIONS = ["accept", "reject", "cancel", "record_intake", "hold", "resume", "complete", "fail"]
FORMS = [
    "consent_new",
    *(f"act:{a}" for a in ACTIONS),
    "follow_up_add",
    "follow_up_done",
    "consent_revoke",
    "story_new",
    "feedback",
    "check_in",
]


def _referral_in(cast, status: str) -> Referral:
    """A referral of officer_a1 to partner Y, put straight into `status` the way the
    lifecycle leaves it, with a consent on file and an open follow-up."""
    now = timezone.now()
    fields: dict = {"status": status, "status_changed_at": now}
    if status not in (S.REQUESTED, S.REJECTED, S.CANCELLED):
        fields.update(accepted_by=cast.case_manager_y, accepted_at=now - timedelta(minutes=50))
    if status in (S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED):
        fields["intake_at"] = now - timedelta(minutes=40)
    if status not in Referral.OPEN_STATUSES:
        fields["closed_at"] = now
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        occurred_at=now - timedelta(hours=1),
        **fields,
    )
    if status == S.ON_HOLD:
        CaseEvent.objects.create(
            referral=referral,
            actor=cast.case_manager_y,
            kind=CaseEvent.Kind.STATUS_CHANGED,
            from_status=S.IN_PROGRESS,
            to_status=S.ON_HOLD,
        )
    consent_on_record(
        referral,
        scope=Consent.Scope.STATUS_ONLY,
        discloser=cast.partner_y,
        captured_by=cast.case_manager_y,
        purpose="Status to the referring officer",
    )
    # A retention check come due: it stays open on a closed referral too, for the record.
    FollowUp.objects.create(
        referral=referral, kind=FollowUp.Kind.RETENTION_30, due_at=now - timedelta(hours=1), assigned_to=None
    )
    return referral


def _posts(referral: Referral) -> dict[str, tuple[str, dict]]:
    """Each form: where it posts, and valid data for it."""
    today = consent_signing_window(referral=referral)[1]
    act = {a: reverse("referrals:act", args=[referral.pk, a]) for a in ACTIONS}
    reasons = {
        "reject": Referral.RejectReason.values[0],
        "cancel": Referral.CancelReason.values[0],
        "fail": Referral.FailReason.values[0],
    }
    posts = {
        "consent_new": (
            reverse("referrals:consent_new", args=[referral.pk]),
            {
                "scope": Consent.Scope.STATUS_OUTCOMES,
                "to_referring_agency": "on",
                "purpose": "Outcome to the officer",
                "signature_name": "Client Signature",
                "signed_on": today.isoformat(),
                "expiry_event": Consent.ExpiryEvent.END_OF_TREATMENT,
                "language": "en",
            },
        ),
        "follow_up_add": (
            reverse("referrals:follow_up_add", args=[referral.pk]),
            {"kind": FollowUp.Kind.CONTACT_ATTEMPT, "due_at": "2099-01-01T10:00"},
        ),
        "follow_up_done": (
            reverse("referrals:follow_up_done", args=[referral.follow_ups.get().pk]),
            {"outcome": FollowUp.Outcome.ENGAGED},
        ),
        "consent_revoke": (
            reverse("referrals:consent_revoke", args=[referral.consents.get().pk]),
            {"note": "By phone to the case manager"},
        ),
        "story_new": (
            reverse("reports:story_new", args=[referral.pk]),
            {"source": SuccessStory.Source.CLIENT, "text": "Thank you for not giving up on me."},
        ),
        # The question after a deflection: the referral was logged just now.
        "feedback": (reverse("buyin:feedback_answer", args=[referral.pk]), {"ease": "easier"}),
        # The referring officer's check-in, today in the agency's time zone, on any status.
        "check_in": (
            reverse("referrals:check_in_add", args=[referral.pk]),
            {"on": services.agency_today(referral).isoformat(), "kind": "doing_well", "where": "Library steps"},
        ),
    }
    for action in ACTIONS:
        data = {f"{action}-note": ""}
        if action in reasons:
            data[f"{action}-reason"] = reasons[action]
        posts[f"act:{action}"] = (act[action], data)
    return posts


_TARGETS = re.compile(r'(?:action|href)="([^"]*)"')


def _offered(page: str, posts: dict[str, tuple[str, dict]]) -> set[str]:
    """The forms the page offers: a form posting to the URL, or a link to the form's page."""
    # A form's anchor (where its page comes back to) is not part of where it posts.
    targets = {html.unescape(t).split("#")[0] for t in _TARGETS.findall(page)}
    return {form for form, (url, _data) in posts.items() if url in targets}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("who", ROLES)
def test_a_referral_page_offers_exactly_what_the_services_accept(cast, who, status):
    referral = _referral_in(cast, status)
    client = cast.login(who)
    posts = _posts(referral)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    offered = _offered(page.content.decode(), posts) if page.status_code == 200 else set()

    # The pages behind the links answer as the links are offered, the blank consent form too.
    for form in ("consent_new", "story_new"):
        url = posts[form][0]
        assert client.get(url).status_code == (200 if form in offered else 404), (form, who, status)
    # The blank form to print is linked from the consent form (and the casework page).
    blank_pdf = reverse("referrals:consent_pdf", args=[referral.pk]) + "?lang=en"
    assert client.get(blank_pdf).status_code == (200 if "consent_new" in offered else 404), (who, status)

    accepted = set()
    for form in FORMS:
        url, data = posts[form]
        with transaction.atomic():
            before = referral_state(referral)
            client.post(url, data)
            after = referral_state(referral)
            if form in offered:
                assert changed_as_meant(form, before, after), f"{who} was offered {form} on a {status} referral"
                accepted.add(form)
            else:
                assert after == before, f"{who} was not offered {form} on a {status} referral, yet it changed"
            transaction.set_rollback(True)  # the next form starts from the same referral
    assert accepted == offered


def test_the_matrix_is_not_empty_the_partner_and_the_officer_are_offered_their_steps(cast):
    """A guard for the test above: were every page to offer nothing, it would pass."""
    requested = _referral_in(cast, S.REQUESTED)
    posts = _posts(requested)
    page = cast.login("officer_a1").get(reverse("referrals:detail", args=[requested.pk])).content.decode()
    assert _offered(page, posts) == {"consent_new", "act:cancel", "story_new", "feedback", "check_in"}
    page = cast.login("case_manager_y").get(reverse("referrals:detail", args=[requested.pk])).content.decode()
    assert {"consent_new", "act:accept", "act:reject", "consent_revoke", "follow_up_done"} <= _offered(page, posts)
    closed = _referral_in(cast, S.COMPLETED)
    page = cast.login("program_admin").get(reverse("referrals:detail", args=[closed.pk]))
    offered = _offered(page.content.decode(), _posts(closed))
    # Closed: no new consent and no new follow-up; a revocation and the due check still are.
    assert "consent_new" not in offered and "follow_up_add" not in offered
    assert {"consent_revoke", "follow_up_done", "story_new"} <= offered
