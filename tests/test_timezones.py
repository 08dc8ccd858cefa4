"""Times show in the agency's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def test_an_officer_sees_times_in_the_agencys_time_zone(cast):
    cast.agency_a.timezone = "America/New_York"
    cast.agency_a.save()
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        occurred_at=datetime(2026, 7, 1, 6, 30, tzinfo=ZoneInfo("UTC")),
    )
    page = cast.login("officer_a1").get(f"/referrals/{referral.pk}/").content.decode()
    # 06:30 UTC is 02:30 in New York in July (EDT).
    assert "Jul 1, 2026 02:30" in page
