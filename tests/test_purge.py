"""purge_expired removes identities after the retention period, and keeps every figure."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from deflection.models import AccessEvent
from deflection.schedules import BEAT_SCHEDULE
from referrals import search, services
from referrals.models import CaseEvent, Client, FollowUp, HeldCharge, OfficerCheckIn, OfficerContact, Referral
from referrals.purge import purge_expired
from reports import metrics
from reports.metrics.check_ins import non_enforcement_engagements
from reports.models import SuccessStory
from tests.factories.referrals import (
    JusticeAgencyFactory,
    OfficerFactory,
    ReferralFactory,
    another_deflection_form,
    consent_given,
    held_charge_on,
)

pytestmark = pytest.mark.django_db

YEARS_AGO_8 = timedelta(days=8 * 365)


def _age(referral: Referral, ago: timedelta) -> None:
    """Make everything about this referral and its client happen `ago`."""
    then = timezone.now() - ago
    Referral.objects.filter(pk=referral.pk).update(occurred_at=then, status_changed_at=then)
    CaseEvent.objects.filter(referral=referral).update(created_at=then)
    FollowUp.objects.filter(referral=referral, completed_at__isnull=False).update(completed_at=then)
    Client.objects.filter(pk=referral.client_id).update(created_at=then)


def _closed_referral(cast, **client) -> Referral:
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        note="Met Wilhelmina Fairweather by the river",
        location="Riverside Park",
        client__first_name="Wilhelmina",
        client__last_name="Fairweather",
        client__aliases="Willa",
        client__phone="520-555-0123",
        **{f"client__{k}": v for k, v in client.items()},
    )
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y, note="Wilhelmina came in")
    consent_given(
        referral, cast.case_manager_y, purpose="Outcome to the officer", signature_name="Wilhelmina Fairweather"
    )
    SuccessStory.objects.create(referral=referral, agency=referral.agency, text="Wilhelmina says thank you")
    OfficerContact.objects.create(
        referral=referral,
        officer=referral.officer,
        pathway=referral.pathway,
        occurred_at=referral.occurred_at,
        officer_minutes=10,
        note="Wilhelmina again, by the bridge",
        location="Bridge St",
    )
    OfficerCheckIn.objects.create(
        referral=referral,
        officer=referral.officer,
        on=timezone.localdate(referral.occurred_at),
        kind="doing_well",
        where="Riverside Park",
        note="Wilhelmina looked well",
    )
    held_charge_on(
        referral,
        JusticeAgencyFactory(agencies=[cast.agency_a]),
        description="Trespass at Wilhelmina's old flat",
        case_number="PV19-04711",
    )
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y, note="Done, Wilhelmina")
    return referral


def _figures(cast) -> dict:
    scope = metrics.Scope(cast.agency_a.pk)
    return {
        "deflections": metrics.deflections(scope),
        "engagement": metrics.engagement_rate(scope),
        "median_to_intake": metrics.median_hours_to_intake(scope),
        "savings": metrics.savings(scope),
        "reengagements": metrics.reengagements(scope),
        "pathways": metrics.by_pathway(scope),
        "check_ins": non_enforcement_engagements(scope),
    }


def test_an_inactive_client_loses_their_identity_and_every_figure_stays(cast):
    referral = _closed_referral(cast)
    _age(referral, YEARS_AGO_8)
    cast.login("case_manager_y").get(f"/referrals/{referral.pk}/")
    before = _figures(cast)
    audit_before = list(AccessEvent.objects.values_list("pk", "client_id", "referral_id"))

    result = purge_expired()

    assert (result.clients, result.referrals) == (1, 1)
    client = Client.objects.get(pk=referral.client_id)
    assert (client.first_name, client.last_name) == ("Removed", f"#{client.pk}")
    assert (client.aliases, client.phone, client.date_of_birth, client.search_name) == ("", "", None, "")
    assert client.identity_removed_at is not None
    referral.refresh_from_db()
    assert (referral.note, referral.location) == ("", "")
    assert (referral.status, referral.pathway, referral.officer_minutes) == ("completed", "officer_prevention", 30)
    assert not CaseEvent.objects.filter(referral=referral).exclude(note="", note_key="", note_params={}).exists()
    assert all(event.note_text == "" for event in CaseEvent.objects.filter(referral=referral))
    assert CaseEvent.objects.filter(referral=referral).count() >= 4  # the facts stay
    consent = referral.consents.get()
    assert (consent.signature_name, consent.signature_drawing, consent.purpose) == ("(removed)", "", "(removed)")
    assert SuccessStory.objects.get(referral=referral).text == "(removed)"
    contact = OfficerContact.objects.get(referral=referral)
    assert (contact.note, contact.location, contact.officer_minutes) == ("", "", 10)
    check_in = OfficerCheckIn.objects.get(referral=referral)
    assert (check_in.note, check_in.where, check_in.kind) == ("", "", "doing_well")
    charge = HeldCharge.objects.get(referral=referral)
    assert (charge.description, charge.case_number, charge.state) == ("(removed)", "(removed)", "held")
    assert _figures(cast) == before
    assert list(AccessEvent.objects.values_list("pk", "client_id", "referral_id")) == audit_before


def test_the_purged_client_is_no_longer_found_or_named(cast):
    referral = _closed_referral(cast)
    _age(referral, YEARS_AGO_8)
    purge_expired()
    assert search.client_search_for_officer(user=cast.officer_a1, query="Wilhelmina Fairweather") == []
    page = cast.login("officer_a1").get(f"/clients/{referral.client_id}/").content.decode()
    assert "Fairweather" not in page and "Wilhelmina" not in page and "Removed" in page


def test_a_story_shared_with_the_clients_agreement_stays(cast):
    referral = _closed_referral(cast)
    SuccessStory.objects.filter(referral=referral).update(
        consent_to_share=True, consent_recorded_at=timezone.now(), text="Thank you all"
    )
    _age(referral, YEARS_AGO_8)
    purge_expired()
    assert SuccessStory.objects.get(referral=referral).text == "Thank you all"


@pytest.mark.parametrize(
    "recent",
    ["an open referral", "a referral logged lately", "a case event lately", "a follow-up done lately", "new"],
)
def test_clients_with_any_recent_activity_keep_their_identity(cast, recent):
    referral = _closed_referral(cast)
    _age(referral, YEARS_AGO_8)
    if recent == "an open referral":
        old = ReferralFactory(
            officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, client=referral.client
        )
        Referral.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - YEARS_AGO_8)
        CaseEvent.objects.filter(referral=old).update(created_at=timezone.now() - YEARS_AGO_8)
    elif recent == "a referral logged lately":
        ReferralFactory(
            officer=OfficerFactory(user=cast.officer_a1),
            partner=cast.partner_y,
            client=referral.client,
            status="rejected",
            occurred_at=timezone.now() - timedelta(days=30),
        )
    elif recent == "a case event lately":
        CaseEvent.objects.filter(referral=referral).order_by("-id").update(created_at=timezone.now())
    elif recent == "a follow-up done lately":
        FollowUp.objects.create(
            referral=referral,
            kind="officer_check_in",
            due_at=timezone.now(),
            completed_at=timezone.now(),
            outcome="engaged",
        )
    else:
        Client.objects.filter(pk=referral.client_id).update(created_at=timezone.now())
    assert purge_expired().clients == 0
    assert Client.objects.get(pk=referral.client_id).last_name == "Fairweather"


def test_the_command_counts_without_names_dry_run_changes_nothing_and_a_rerun_purges_nothing(cast):
    referral = _closed_referral(cast)
    _age(referral, YEARS_AGO_8)
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "Would remove the identities of 1 client(s)" in out.getvalue()
    assert Client.objects.get(pk=referral.client_id).last_name == "Fairweather"
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "Removed the identities of 1 client(s)" in out.getvalue() and "Fairweather" not in out.getvalue()
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "of 0 client(s)" in out.getvalue()


def test_the_retention_period_comes_from_the_settings_and_a_short_one_is_refused(cast, settings):
    referral = _closed_referral(cast)
    _age(referral, timedelta(days=3 * 365))
    assert purge_expired().clients == 0  # the default keeps seven years
    settings.DEFLECTION = {**settings.DEFLECTION, "CLIENT_RETENTION_DAYS": 2 * 365}
    assert purge_expired(dry_run=True).clients == 1
    with pytest.raises(SystemExit):
        call_command("purge_expired", "--days", "30", stderr=StringIO())


def test_the_purge_runs_nightly():
    assert BEAT_SCHEDULE["purge-expired-identities"]["task"] == "referrals.tasks.purge_expired_identities"


def test_the_days_option_is_the_period_used(cast):
    referral = _closed_referral(cast)
    _age(referral, timedelta(days=3 * 365))
    out = StringIO()
    call_command("purge_expired", "--days", "730", stdout=out)
    assert "Removed the identities of 1 client(s)" in out.getvalue()
    assert Client.objects.get(pk=referral.client_id).last_name == f"#{referral.client_id}"


def test_the_admins_history_of_the_client_loses_the_name(cast):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    referral = _closed_referral(cast)
    # An entry from before client names left str(): it holds the name.
    LogEntry.objects.create(
        user=cast.admin,
        content_type=ContentType.objects.get_for_model(Client),
        object_id=str(referral.client_id),
        object_repr="Wilhelmina Fairweather",
        action_flag=CHANGE,
        change_message="Changed phone (520-555-0123).",
    )
    _age(referral, YEARS_AGO_8)
    purge_expired()
    entry = LogEntry.objects.get(object_id=str(referral.client_id))
    assert (entry.object_repr, entry.change_message) == (f"Client #{referral.client_id}", "")


def test_a_purged_client_cannot_be_picked_for_a_new_deflection(cast):
    referral = _closed_referral(cast)
    _age(referral, YEARS_AGO_8)
    purge_expired()
    response = cast.login("officer_a1").post(
        "/log/",
        another_deflection_form(referral, cast.partner_y, submission_token="7f1d0a0e-2222-4c4c-9d9d-000000000001"),
    )
    assert response.status_code == 200 and "not known to your agency" in response.content.decode()
    assert Referral.objects.filter(client_id=referral.client_id).count() == 1


def test_the_purge_reaches_the_stories_through_the_cores_hooks_not_an_import_of_reports():
    """Nothing below reports imports it (DESIGN.md): reports registers what it must purge."""
    from pathlib import Path

    from deflection import purge_hooks
    from reports.services import success_stories_purge

    assert success_stories_purge in purge_hooks._hooks
    source = Path(__file__).resolve().parent.parent / "referrals" / "purge.py"
    assert "import reports" not in source.read_text() and "from reports" not in source.read_text()
