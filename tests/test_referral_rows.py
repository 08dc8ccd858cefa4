"""My deflections' rows write their dates with referral_tags.Moments, which reads the format
once a list: it writes what Django's dateformat writes, in every month, in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, formats, timezone, translation

from referrals.templatetags.referral_tags import Moments


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["America/Phoenix", "America/Chicago"])
def test_a_lists_dates_read_as_django_writes_them(language, zone):
    start = datetime(2026, 1, 1, 0, 5, tzinfo=ZoneInfo("UTC"))
    moments = [start + timedelta(days=13 * n, hours=7 * n, minutes=11 * n) for n in range(60)]
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        written = Moments()
        expected = formats.get_format("DATETIME_FORMAT")
        for moment in moments:
            assert written(moment) == dateformat.format(timezone.localtime(moment), expected)
    # The names are the language's: "Dec" and "dic" both appear over the year.
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        december = Moments()(datetime(2026, 12, 6, 21, 5, tzinfo=ZoneInfo("UTC")))
    assert ("Dec" if language == "en" else "dic") in december
