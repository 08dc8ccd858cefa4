"""Logging a deflection: the referral and its case event, in one transaction, exactly once."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from referrals.models import CaseEvent, Client, Officer, Pathway, Referral
from referrals.services import NewClient, PossibleDuplicates, referral_create
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import ClientFactory

pytestmark = pytest.mark.django_db


def _log(cast, **overrides):
    kwargs = {
        "officer_user": cast.officer_a1,
        "partner": cast.partner_y,
        "pathway": Pathway.OFFICER_PREVENTION,
        "officer_minutes": 20,
        "new_client": NewClient(first_name="Dana", last_name="Whitfield", date_of_birth=date(1990, 4, 2)),
    }
    kwargs.update(overrides)
    logged = referral_create(**kwargs)
    return logged.referral, logged.created


def test_it_saves_a_requested_referral_and_its_case_event(cast):
    referral, created = _log(cast, naloxone_administered=True, presenting_needs=["substance_use", "housing"])
    assert created
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED
    assert referral.agency == cast.agency_a
    assert referral.officer.user == cast.officer_a1
    assert referral.presenting_needs == ["housing", "substance_use"]
    event = referral.events.get()
    assert (event.kind, event.to_status, event.actor) == (CaseEvent.Kind.CREATED, "requested", cast.officer_a1)


def test_it_creates_the_officer_row_on_first_use(cast):
    assert not Officer.objects.filter(user=cast.officer_a1).exists()
    _log(cast)
    officer = Officer.objects.get(user=cast.officer_a1)
    assert (officer.agency, officer.unit, officer.badge_number) == (
        cast.agency_a,
        cast.unit_a,
        cast.officer_a1.badge_number,
    )


def test_the_same_submission_token_creates_one_referral(cast):
    token = uuid.uuid4()
    first, created_first = _log(cast, submission_token=token)
    again, created_again = _log(cast, submission_token=token)
    assert created_first and not created_again
    assert again.pk == first.pk
    assert Referral.objects.count() == 1
    assert Client.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_a_partner_not_serving_the_agency_saves_nothing(cast):
    elsewhere = ServicePartnerFactory(name="Far County Detox", agencies=[cast.agency_b])
    with pytest.raises(ValidationError) as error:
        _log(cast, partner=elsewhere)
    assert "does not serve your agency" in str(error.value)
    # Nothing half-saved: the new client went with the refused referral.
    assert Client.objects.count() == 0
    assert Referral.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_a_client_of_another_agency_is_refused(cast):
    stranger = ClientFactory(agency=cast.agency_b)
    with pytest.raises(ValidationError):
        _log(cast, new_client=None, client=stranger)
    assert Referral.objects.count() == 0


def test_an_existing_client_gets_a_second_referral_not_a_second_row(cast):
    first, _ = _log(cast)
    second, created = _log(cast, new_client=None, client=first.client, partner=cast.partner_x)
    assert created
    assert second.client_id == first.client_id
    assert Client.objects.count() == 1


def test_a_case_manager_cannot_log_a_deflection(cast):
    with pytest.raises(ValidationError):
        _log(cast, officer_user=cast.case_manager_y)
    assert Referral.objects.count() == 0


def test_negative_minutes_are_refused_before_saving(cast):
    with pytest.raises(ValidationError):
        _log(cast, officer_minutes=-1)
    assert Referral.objects.count() == 0
    assert Client.objects.count() == 0


def test_an_officer_who_moved_agency_logs_into_the_new_one(cast):
    first, _ = _log(cast)
    cast.officer_a1.agency = cast.agency_b
    cast.officer_a1.unit = None
    cast.officer_a1.save()
    second, _ = _log(cast, partner=cast.partner_y, new_client=NewClient(first_name="Ana", last_name="Berg"))
    assert (first.agency, second.agency) == (cast.agency_a, cast.agency_b)
    assert second.client.agency == cast.agency_b
    first.refresh_from_db()
    assert first.agency == cast.agency_a  # the past stays where it happened


def test_a_new_client_who_may_be_known_is_refused_unless_the_officer_confirms(cast):
    # The rule holds for every caller of the service, not only for the log form.
    known = ClientFactory(agency=cast.agency_a, first_name="Dana", last_name="Whitfield", date_of_birth=None)
    with pytest.raises(PossibleDuplicates) as refused:
        _log(cast, new_client=NewClient(first_name="Dana", last_name="Whitfeld"))
    assert refused.value.clients == [known]
    assert "may already be known" in str(refused.value)
    assert (Client.objects.count(), Referral.objects.count()) == (1, 0)
    _log(cast, new_client=NewClient(first_name="Dana", last_name="Whitfeld"), confirm_new=True)
    assert (Client.objects.count(), Referral.objects.count()) == (2, 1)


@pytest.mark.parametrize(
    ("moved", "message"),
    [(timedelta(days=31), "within 30 days"), (-timedelta(hours=2), "cannot be in the future")],
)
def test_a_deflection_is_logged_within_30_days_and_never_ahead(cast, moved, message):
    with pytest.raises(ValidationError) as refused:
        _log(cast, occurred_at=timezone.now() - moved)
    assert message in " ".join(refused.value.message_dict["occurred_at"])
    assert Referral.objects.count() == 0
    _log(cast, occurred_at=timezone.now() - timedelta(days=29))
    assert Referral.objects.count() == 1
