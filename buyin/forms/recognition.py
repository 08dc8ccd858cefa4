"""The commend form and the agency's kinds of recognition: they only validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buyin.models.recognition import COMMENDATION_TEXT_MAX, RecognitionKind
from deflection.models import User
from referrals.models import Referral


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        badge = f" #{obj.badge_number}" if obj.badge_number else ""
        unit = f" · {obj.unit}" if obj.unit_id else ""
        return f"{obj.get_full_name() or obj.username}{badge}{unit} · {obj.agency}"


class CommendForm(forms.Form):
    """Commend an officer: whom, the kind of recognition, what they did, and the deflection it
    was for (optional; its number, which the referral's page fills in)."""

    officer = OfficerChoiceField(label=_("Officer"), queryset=User.objects.none(), empty_label=_("Choose an officer"))
    kind = forms.ChoiceField(label=_("Kind of recognition"))
    text = forms.CharField(
        label=_("What the officer did"),
        max_length=COMMENDATION_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "It goes into the officer's record and the letter for their file. Name no client: "
            "no name, alias, date of birth or phone number."
        ),
    )
    referral = forms.ModelChoiceField(
        label=_("For the deflection number (optional)"),
        queryset=Referral.objects.none(),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        help_text=_(
            "One of this officer's deflections: the text is then checked against that client's identity. "
            "Without one, against the clients the officer referred in the last year."
        ),
        error_messages={"invalid_choice": _("Give the number of one of this officer's own deflections.")},
    )

    def __init__(self, *args, officers, kind_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers
        self.fields["kind"].choices = [(name, name) for name in kind_names]
        self.fields["referral"].queryset = Referral.objects.filter(officer__user__in=officers).select_related(
            "client", "officer"
        )

    def clean(self) -> dict:
        data = super().clean()
        referral, officer = data.get("referral"), data.get("officer")
        if referral is not None and officer is not None and referral.officer.user_id != officer.pk:
            self.add_error("referral", _("Give the number of one of this officer's own deflections."))
        return data


class RecognitionKindForm(forms.ModelForm):
    class Meta:
        model = RecognitionKind
        fields = ["name"]
        labels = {"name": _("A new kind of recognition")}
