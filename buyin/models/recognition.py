"""Recognition: the kinds of recognition an agency gives, and the commendations themselves."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.claims import claim_field

# What a commendation's text may hold at most: a few paragraphs, not an essay; so it fits
# the one page of the letter for the officer's file.
COMMENDATION_TEXT_MAX = 1500
COMMENDATION_LINE_BREAKS_MAX = 12

# The kinds every agency starts with, saved for it when it first records recognition: by
# their English names, whoever commends first, and shown in each reader's language. The
# name's gloss ("a reward") tells the one commending what the kind is for; the officer's
# record, the letter and the briefing give the recognition itself.
DEFAULT_KINDS = {
    "Commendation": _("Commendation"),
    "Training opportunity (a reward)": _("Training opportunity"),
    "Other recognition": _("Other recognition"),
}
GLOSSED_KINDS = {"Training opportunity (a reward)": _("Training opportunity (a reward)")}


def kind_label(name: str) -> str:
    """A kind's name for the reader: a default kind in their language, an agency's own as written."""
    return str(DEFAULT_KINDS.get(name, name))


def kind_choice_label(name: str) -> str:
    """A kind as offered to the one commending (and to whoever manages the kinds): with its gloss."""
    return str(GLOSSED_KINDS.get(name) or kind_label(name))


class RecognitionKind(models.Model):
    """A kind of recognition an agency gives (a commendation, a training opportunity as a reward...)."""

    agency = models.ForeignKey(
        "deflection.Agency", on_delete=models.CASCADE, related_name="recognition_kinds", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=80)
    # Retired kinds stay on the commendations that used them; they are no longer offered.
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kind of recognition")
        verbose_name_plural = _("kinds of recognition")
        ordering = ["agency__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="recognition_kind_name_per_agency")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return kind_label(self.name)

    @property
    def choice_label(self) -> str:
        return kind_choice_label(self.name)


class Commendation(models.Model):
    """An officer commended by a supervisor, command staff or the program administrator.

    The text names no client: when it is about a referral it is checked against that
    referral's client. Whether the officer is named in the digest and the briefing is the
    officer's own choice, made on their record (no by default).
    """

    agency = models.ForeignKey(
        "deflection.Agency", on_delete=models.CASCADE, related_name="commendations", verbose_name=_("agency")
    )
    # The officer's own: they go with the officer's account (which is deactivated, not deleted).
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commendations", verbose_name=_("officer")
    )
    # RESTRICT: a commender's account cannot be deleted from under the officer's letter,
    # unless the officer's goes too (the demo is removed as a whole).
    commended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.RESTRICT, related_name="commendations_given", verbose_name=_("commended by")
    )
    kind = models.ForeignKey(
        RecognitionKind, on_delete=models.RESTRICT, related_name="commendations", verbose_name=_("kind")
    )
    referral = models.ForeignKey(
        "referrals.Referral", models.SET_NULL, null=True, blank=True, verbose_name=_("for the deflection")
    )
    text = models.TextField(_("what the officer did"), max_length=COMMENDATION_TEXT_MAX)
    may_name = models.BooleanField(_("the officer agreed to be named in the digest and briefing"), default=False)
    named_choice_at = models.DateTimeField(_("naming chosen"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("commended"), default=timezone.now, editable=False)
    # Set when the mail server took the officer's notice: it is sent once.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    mail_claimed_at = claim_field()

    class Meta:
        verbose_name = _("commendation")
        ordering = ["-created_at", "-pk"]
        # The digest's and the briefing's week; an officer's own few are found by the officer's key.
        indexes = [models.Index(fields=["agency", "created_at"], name="commendation_agency_week")]

    def __str__(self) -> str:
        return f"{self.kind} · {self.officer}"

    def clean(self) -> None:
        super().clean()
        if self.text.count("\n") > COMMENDATION_LINE_BREAKS_MAX:
            message = _("Keep it to a few paragraphs: at most %(n)d line breaks.")
            raise ValidationError({"text": message % {"n": COMMENDATION_LINE_BREAKS_MAX}})
