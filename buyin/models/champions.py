"""Champions: the informal leaders (sergeants, field training officers, tenured officers) a
unit's buy-in rests on, with since and until so that succession is planned and seen."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChampionQuerySet(models.QuerySet):
    """Champions by when they serve."""

    def current(self, on: date) -> ChampionQuerySet:
        """Serving on this day: started on or before it, not ended by it (until empty: no end)."""
        return self.filter(Q(until__isnull=True) | Q(until__gt=on), since__lte=on)


class Champion(models.Model):
    """A user who champions deflection in a unit, from `since` until `until` (empty: still)."""

    class Kind(models.TextChoices):
        SERGEANT = "sergeant", _("Sergeant")
        FTO = "fto", _("Field training officer")
        TENURED = "tenured", _("Tenured officer")

    unit = models.ForeignKey("deflection.Unit", on_delete=models.CASCADE, related_name="champions")
    # Accounts are deactivated, not deleted; deleting one takes its history with it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="championships")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty while they are the champion."))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ChampionQuerySet.as_manager()

    class Meta:
        verbose_name = _("champion")
        ordering = ["unit__name", "-since", "-id"]
        constraints = [
            # The messages are what the form says when one is broken (not the constraint's name).
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="champion_until_after_since",
                violation_error_message=_("The end comes on or after the start."),
            ),
            models.UniqueConstraint(
                fields=["unit", "user"],
                condition=Q(until__isnull=True),
                name="champion_open_once_per_unit",
                violation_error_message=_(
                    "They are already this unit's champion with no end set: end that time first, then name them again."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"

    def serves_on(self, day: date) -> bool:
        """Whether they are the unit's champion on this day (as ChampionQuerySet.current)."""
        return self.since <= day and (self.until is None or self.until > day)
