"""The absolute rules hold in the database itself, whatever code writes the rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deflection.models import User
from referrals.models import FollowUp, Referral
from tests.factories.core import UserFactory
from tests.factories.referrals import ReferralFactory

pytestmark = pytest.mark.django_db


def _violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_a_referral_status_outside_the_lifecycle_is_refused(cast):
    referral = ReferralFactory(officer__user=cast.officer_a1, partner=cast.partner_x)
    assert _violates(lambda: Referral.objects.filter(pk=referral.pk).update(status="lost"))


def test_negative_minutes_are_refused(cast):
    referral = ReferralFactory(officer__user=cast.officer_a1, partner=cast.partner_x)
    assert _violates(lambda: Referral.objects.filter(pk=referral.pk).update(officer_minutes=-5))


def test_an_unknown_pathway_is_refused(cast):
    referral = ReferralFactory(officer__user=cast.officer_a1, partner=cast.partner_x)
    assert _violates(lambda: Referral.objects.filter(pk=referral.pk).update(pathway="arrest"))


def test_one_badge_number_per_agency(cast):
    assert _violates(lambda: UserFactory(agency=cast.agency_a, badge_number=cast.officer_a1.badge_number))
    # The same number in another agency is someone else.
    UserFactory(agency=cast.agency_b, badge_number=cast.officer_a1.badge_number)


def test_a_case_manager_belongs_to_a_partner(cast):
    assert _violates(lambda: UserFactory(role=User.Role.CASE_MANAGER, agency=None, partner=None, badge_number=""))


def test_a_role_outside_the_list_is_refused(cast):
    assert _violates(lambda: User.objects.filter(pk=cast.officer_a1.pk).update(role="sheriff_king"))


def test_a_completed_follow_up_has_an_outcome(cast):
    referral = ReferralFactory(officer__user=cast.officer_a1, partner=cast.partner_x)
    now = timezone.now()
    assert _violates(lambda: FollowUp.objects.create(referral=referral, kind="check_72h", due_at=now, completed_at=now))
    assert _violates(
        lambda: FollowUp.objects.create(referral=referral, kind="check_72h", due_at=now, outcome="engaged")
    )
    FollowUp.objects.create(referral=referral, kind="check_72h", due_at=now, completed_at=now, outcome="engaged")
