from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import SuccessStory


class SuccessStoryForm(forms.ModelForm):
    class Meta:
        model = SuccessStory
        fields = ["source", "text", "consent_to_share"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "consent_to_share": _(
                "Only stories the client agreed to share leave the case record (the weekly digest), "
                "always without their name."
            )
        }
