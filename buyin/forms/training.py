"""Forms for training: a session, and the officers who attended it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buyin.models import TrainingSession
from deflection.widgets import DateInput


class TrainingSessionForm(forms.ModelForm):
    """A session as the program admin or command staff record it after it took place."""

    class Meta:
        model = TrainingSession
        fields = ["held_on", "topic", "details", "trainer", "executive_staff_attended"]
        widgets = {"held_on": DateInput()}


class AttendanceForm(forms.Form):
    """The officers ticked as present (the page lists them grouped by unit)."""

    officers = forms.TypedMultipleChoiceField(label=_("Attended"), coerce=int, required=False)

    def __init__(self, *args, officer_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officers"].choices = [(pk, pk) for pk in officer_ids]
