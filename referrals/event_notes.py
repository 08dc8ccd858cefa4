"""The notes the program writes in a referral's history by itself (not what a person typed):
kept as a key and its values, and said in the language of whoever reads them.

Written as text, such a note stayed in the language of the person whose action wrote it: an
officer using Spanish holds a charge, and the English-reading case manager read its condition
in Spanish. So a service writes `note(key, **values)` into its case event (note_key,
note_params), and CaseEvent.note_text says it in the active language each time it is shown,
its dates in the reader's format. The event's `note` keeps it in the site's language as well,
for the admin and for whatever reads the table without knowing the keys.

A message's wording may change; a key or the name of a value may not, or the rows written
with it fall back to the text they stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from deflection import l10n
from referrals.charge_models import condition_text
from referrals.models import Consent, FollowUp


def _seen_again(*, officer: str, at: str) -> str:
    return _("Seen again by %(officer)s on %(date)s") % {
        "officer": officer,
        "date": l10n.month_day(datetime.fromisoformat(at)),
    }


def _charge_held(*, condition: str, engaged_days: int | None, deadline: str) -> str:
    return condition_text(condition=condition, engaged_days=engaged_days, deadline=date.fromisoformat(deadline))


# key: the words for the values stored with it, in the active language (gettext, not lazy:
# these run when the note is shown).
NOTES: dict[str, Callable[..., str]] = {
    "seen_again": _seen_again,
    "client_merged": lambda *, old, new: _("Client record #%(old)s merged into #%(new)s") % {"old": old, "new": new},
    "follow_up_scheduled": lambda *, kind: _("%(kind)s scheduled") % {"kind": FollowUp.Kind(kind).label},
    "follow_up_done": lambda *, outcome: str(FollowUp.Outcome(outcome).label),
    "charge_held": _charge_held,
    "charge_decided_by_the_check": lambda: _("Decided at the deadline by the program's check"),
    "consent_recorded": lambda *, scope: _("recorded (%(scope)s)") % {"scope": Consent.Scope(scope).label},
    "justice_consent_recorded": lambda *, court: (
        _("criminal-justice consent recorded (to %(court)s)") % {"court": court}
    ),
    "consent_revoked": lambda: _("revoked"),
    "consent_revocation_asked": lambda: _("revocation asked: it takes effect when the charge is decided"),
    "consent_revocation_took_effect": lambda: _("revocation took effect"),
}


def note(key: str, **values: Any) -> dict[str, Any]:
    """A case event's note fields for the message `key` with `values`: the key, the values as
    kept (dates and times as ISO text, choices by their codes), and the text in the site's
    language. Said once here, so that a key or value the messages cannot take fails the write."""
    params = {name: _kept(value) for name, value in values.items()}
    with translation.override(settings.LANGUAGE_CODE):
        text = str(NOTES[key](**params))
    return {"note_key": key, "note_params": params, "note": text}


def said(key: str, params: dict[str, Any], *, stored: str) -> str:
    """The note `key` with its values in the active language; the `stored` text for a key or
    values this version cannot say (a row written by an older one): the history shows what
    was written rather than fail."""
    say = NOTES.get(key)
    if say is None:
        return stored
    try:
        return str(say(**params))
    except (TypeError, ValueError, KeyError):
        return stored


def _kept(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too: aware, with its offset
        return value.isoformat()
    if isinstance(value, str):  # a choice's code, not the enum member
        return str(value)
    return value
