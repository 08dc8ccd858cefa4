"""Dates and mail in each reader's language.

Dates go through Django's localized formats (deflection/formats/<language>/), never an English
strftime pattern; what is sent to people goes out in each recipient's language (User.language,
else the site's), one message per language when several are addressed at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _


def day(value: date | datetime) -> str:
    """Dec 6, 2026 / 6 dic 2026 (a datetime in the active time zone)."""
    return formats.date_format(_local(value), "DATE_FORMAT")


def day_and_time(value: datetime) -> str:
    """Dec 6, 2026 14:05 / 6 dic 2026, 14:05, in the active time zone."""
    return formats.date_format(_local(value), "DATETIME_FORMAT")


def month_day(value: date | datetime) -> str:
    """Dec 6 / 6 dic."""
    return formats.date_format(_local(value), "MONTH_DAY_FORMAT")


def weekday_day(value: date | datetime) -> str:
    """Sunday Dec 6 / domingo 6 dic."""
    value = _local(value)
    return f"{formats.date_format(value, 'l')} {formats.date_format(value, 'MONTH_DAY_FORMAT')}"


def weekday_date(value: date | datetime) -> str:
    """Mon Dec 7, 2026 / lun 7 dic 2026: a deadline, with its year."""
    value = _local(value)
    return f"{formats.date_format(value, 'D')} {formats.date_format(value, 'DATE_FORMAT')}"


def year_month(value: date | datetime) -> str:
    """December 2026 / diciembre de 2026."""
    return formats.date_format(_local(value), "YEAR_MONTH_FORMAT")


def month_span(first: date, last: date) -> str:
    """November 2026 / noviembre de 2026; September 2026 to November 2026 (whole months,
    given by a day of each)."""
    if (first.year, first.month) == (last.year, last.month):
        return year_month(first)
    return _("%(first)s to %(last)s") % {"first": year_month(first), "last": year_month(last)}


def money(amount: Decimal | float) -> str:
    """Whole dollars with the language's grouping: $1,500."""
    return "$" + formats.number_format(round(amount), 0, use_l10n=True, force_grouping=True)


def time_of_day(value: datetime) -> str:
    return formats.time_format(_local(value), "TIME_FORMAT")


def _local(value: date | datetime) -> date | datetime:
    return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


def addresses_by_language(users: QuerySet) -> list[tuple[str, list[str]]]:
    """The users' email addresses grouped by the language of what is sent to them, the site's
    language first (the one a weekly mail's record keeps)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for email, language in users.exclude(email="").values_list("email", "language"):
        groups[language or settings.LANGUAGE_CODE].add(email)
    order = sorted(groups, key=lambda language: (language != settings.LANGUAGE_CODE, language))
    return [(language, sorted(groups[language])) for language in order]
