"""A referral its own officer cancelled (withdrawn, or entered in error, before a partner
accepted) is police's own act: My deflections and the referral's page say "Cancelled". One
the partner cancelled is the partner's closing, and police see "Closed" as for any other."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from referrals import services
from referrals.models import Referral
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def _mine(cast) -> str:
    return cast.login("officer_a1").get(reverse("referrals:mine")).content.decode()


def test_the_officer_sees_their_own_cancelling_and_the_partners_as_closed(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    mine = ReferralFactory(officer=officer, partner=cast.partner_y)
    theirs = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_cancel(referral_id=mine.pk, actor=cast.officer_a1, reason="entered_in_error")
    services.referral_cancel(referral_id=theirs.pk, actor=cast.case_manager_y, reason="withdrawn")
    assert Referral.objects.get(pk=mine.pk).cancelled_by_officer
    assert not Referral.objects.get(pk=theirs.pk).cancelled_by_officer
    page = _mine(cast)
    assert page.count(">Cancelled<") == 1 and page.count(">Closed<") == 1
    for referral, said in ((mine, "Cancelled"), (theirs, "Closed")):
        url = reverse("referrals:detail", args=[referral.pk])
        assert f">{said}<" in cast.login("officer_a1").get(url).content.decode()


def test_referrals_cancelled_before_are_read_from_their_events(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    mine = ReferralFactory(officer=officer, partner=cast.partner_y)
    theirs = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_cancel(referral_id=mine.pk, actor=cast.officer_a1, reason="withdrawn")
    services.referral_cancel(referral_id=theirs.pk, actor=cast.case_manager_y, reason="withdrawn")
    Referral.objects.update(cancelled_by_officer=False)  # as before the field
    migration = importlib.import_module("referrals.migrations.0015_cancelled_by_officer")
    migration.from_the_events(apps, None)
    assert Referral.objects.get(pk=mine.pk).cancelled_by_officer
    assert not Referral.objects.get(pk=theirs.pk).cancelled_by_officer
