"""Suggestions that get answered, their history, and "You said, we did"."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.claims import claim_field


class Topic(models.TextChoices):
    """What a suggestion (or a change made) is about."""

    PROCESS = "process", _("The process")
    FORM = "form", _("The form")
    PARTNER = "partner", _("A partner")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class State(models.TextChoices):
    """Where the program administrator's triage has got to."""

    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    CHANGED = "changed", _("Changed")
    NOT_NOW = "not_now", _("Not now")


class Suggestion(models.Model):
    """A process-improvement suggestion from anyone in the program, answered by the program admin.

    Its state changes only through buyin.services.suggestions, which writes a SuggestionEvent
    for each. The changed ones, with their answer and date, make up "You said, we did".
    """

    Topic = Topic
    State = State

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("author")
    )
    topic = models.CharField(_("about"), max_length=12, choices=Topic.choices)
    # Only with the topic "a partner": which one, if the author chose to say.
    partner = models.ForeignKey(
        "partners.ServicePartner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    text = models.TextField(_("your suggestion"), max_length=1000, validators=[MaxLengthValidator(1000)])
    may_name_me = models.BooleanField(_("you may name me in “You said, we did”"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.NEW)
    # What was changed (changed), or why not now (not now): shown to the author, and for a
    # change on "You said, we did".
    answer = models.TextField(_("answer"), max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])
    changed_on = models.DateField(_("changed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    state_changed_at = models.DateTimeField(_("state changed"), default=timezone.now)
    # Set by the author's "mark as read" (a POST): a later change of state is unread.
    author_seen_at = models.DateTimeField(_("read by the author"), null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="suggestion_topic_valid"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="suggestion_state_valid"),
            models.CheckConstraint(
                condition=~Q(state="changed") | (Q(changed_on__isnull=False) & ~Q(answer="")),
                name="suggestion_changed_says_what_and_when",
            ),
            models.CheckConstraint(condition=~Q(state="not_now") | ~Q(answer=""), name="suggestion_not_now_says_why"),
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | Q(topic="partner"),
                name="suggestion_partner_topic",
                violation_error_message=_("Choose “A partner” as the topic to name a partner."),
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="suggestion_author_recent"),
            models.Index(fields=["state", "-created_at"], name="suggestion_state_recent"),
        ]

    def __str__(self) -> str:
        return f"Suggestion #{self.pk} · {self.get_topic_display()} · {self.get_state_display()}"

    @property
    def unread(self) -> bool:
        """The author has not yet marked this answer read (a new suggestion has none to read)."""
        if self.state == State.NEW:
            return False
        return self.author_seen_at is None or self.author_seen_at < self.state_changed_at


class SuggestionEvent(models.Model):
    """One step in a suggestion's history: who moved it, when, from which state to which, and why.

    `notified_at` is set when the author's email about this step went out, so that a task run
    twice sends it once.
    """

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    # Empty: the suggestion was sent.
    from_state = models.CharField(_("from"), max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=State.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])
    notified_at = models.DateTimeField(_("author emailed"), null=True, blank=True, editable=False)
    mail_claimed_at = claim_field()

    class Meta:
        verbose_name = _("suggestion history")
        verbose_name_plural = _("suggestion history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '·'} → {self.to_state}"


class ChangeMade(models.Model):
    """A change the program made from officers' feedback, published on "You said, we did" by the
    program admin without being the answer to one suggestion."""

    topic = models.CharField(_("about"), max_length=12, choices=Topic.choices)
    what = models.TextField(_("what was changed"), max_length=1000, validators=[MaxLengthValidator(1000)])
    changed_on = models.DateField(_("changed on"))
    # Whose officers it is told to: the program it was made in (nothing crosses programs).
    program = models.ForeignKey(
        "deflection.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("change made")
        verbose_name_plural = _("changes made")
        ordering = ["-changed_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(topic__in=Topic.values), name="change_made_topic_valid")]

    def __str__(self) -> str:
        return f"{self.changed_on} · {self.get_topic_display()}"
