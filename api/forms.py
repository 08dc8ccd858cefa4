"""The program admin's form for a new integration client: it validates; api.services makes it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django import forms
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.models import Agency, User
from deflection.permissions import agencies_of_program, in_program
from deflection.widgets import DateInput
from partners.models import ServicePartner

logger = logging.getLogger(__name__)

DEFAULT_VALIDITY = timedelta(days=365)
T = TypeVar("T")


class SentOnceForm(forms.Form):
    """A form whose answer shows a secret once. Sent twice (a reload of that answer, a double
    tap), it does its work once: a second client or secret would be one nobody saw."""

    form_key = forms.UUIDField(widget=forms.HiddenInput)
    # How long a sent form is remembered: longer than anyone keeps the secret's page open.
    REMEMBERED_SECONDS = 24 * 3600

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_key", uuid.uuid4())

    def _sent(self) -> str:
        return f"sent-once-form:{self.cleaned_data['form_key']}"

    def send_once(self, work: Callable[[], T]) -> T | None:
        """Do the work of this valid form, unless the form was sent before: then None.

        If the work fails, refused or otherwise (a lost database, a bug), nothing was made and
        the form may be sent again: it is forgotten and the error goes on. Without the shared
        cache the form is refused (a ValidationError), as the work could then be done twice."""
        cache = caches["shared"]
        try:
            first = cache.add(self._sent(), True, timeout=self.REMEMBERED_SECONDS)
        except Exception:
            # Without the cache, a second sending could not be told from the first.
            logger.warning("The shared cache could not be reached: a form that shows a secret was refused.")
            raise ValidationError(_("This could not be done just now. Try again in a minute.")) from None
        if not first:
            return None
        try:
            return work()
        except BaseException:
            try:
                cache.delete(self._sent())
            except Exception:
                logger.warning("The shared cache could not forget a form that failed: it is remembered a day.")
            raise


class IntegrationClientForm(SentOnceForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("The system and who runs it, e.g. “Y clinic's EHR (vendor name)”."),
    )
    acts_for = forms.ChoiceField(
        label=_("Acts for"),
        help_text=_(
            "A partner's system works that partner's referrals; an agency's records or dispatch system logs "
            "deflections for its officers and reads their status."
        ),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=DateInput(),
        help_text=_("The token stops working at the end of this day. Two years at most."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The partners and agencies of the program administrator's program.
        partners = in_program(ServicePartner.objects.filter(is_active=True), user).order_by("name")
        agencies = agencies_of_program(user)
        self.fields["acts_for"].choices = [
            ("", _("Choose a partner or an agency")),
            (_("Partners"), [(f"partner:{p.pk}", p.name) for p in partners]),
            (_("Agencies"), [(f"agency:{a.pk}", a.name) for a in agencies]),
        ]
        if not self.is_bound:
            self.initial.setdefault("expires_on", timezone.localdate() + DEFAULT_VALIDITY)

    def scope(self) -> dict:
        """The service's partner= or agency= argument, from the choice made."""
        kind, pk = self.cleaned_data["acts_for"].split(":")
        if kind == "partner":
            return {"partner": ServicePartner.objects.get(pk=pk)}
        return {"agency": Agency.objects.get(pk=pk)}

    def expires_at(self) -> datetime:
        day: date = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time.max), timezone.get_current_timezone())
