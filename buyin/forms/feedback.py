"""The question after a deflection, as posted by its card."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buyin.models import FeedbackObstacle, OfficerFeedback


class FeedbackForm(forms.Form):
    """One tap answers: the button tapped sends `ease` ("" for skip); the rest is optional."""

    ease = forms.ChoiceField(
        label=_("Compared with an arrest and booking, this was"),
        choices=[("", _("Skip")), *OfficerFeedback.Ease.choices],
        required=False,
    )
    obstacles = forms.MultipleChoiceField(
        label=_("What got in the way?"),
        choices=FeedbackObstacle.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Anything else? One sentence (optional)"),
        max_length=280,
        required=False,
        help_text=_("Read by the program administrator without your name. Leave out the client's name."),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 280}),
    )
