"""The commend form and the agency's kinds of recognition: they only validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buyin.models.recognition import COMMENDATION_TEXT_MAX, RecognitionKind, kind_choice_label
from deflection.models import User
from referrals import selectors as referral_selectors
from referrals.models import IS_DEFLECTION, Referral


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        badge = f" #{obj.badge_number}" if obj.badge_number else ""
        unit = f" · {obj.unit}" if obj.unit_id else ""
        return f"{obj.get_full_name() or obj.username}{badge}{unit} · {obj.agency}"


class CommendForm(forms.Form):
    """Commend an officer: whom, the kind of recognition, what they did, and the deflection it
    was for (optional): by its incident number, the one officers and sergeants know, or the
    referral whose page the user came from ("Commend the officer for it")."""

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
    incident_number = forms.CharField(
        label=_("For the deflection with the incident number (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "One of this officer's deflections: the text is then checked against that client's identity. "
            "Without one, against the clients the officer referred in the last year."
        ),
    )
    # The referral whose page the user came from: its page's link fills it in.
    referral = forms.ModelChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This deflection is not one you may commend an officer for.")},
    )

    def __init__(self, *args, officers, kind_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers
        self.fields["kind"].choices = [(name, kind_choice_label(name)) for name in kind_names]
        # Their deflections: not a referral its officer cancelled (a partner's cancelling is
        # the partner's record, and changes nothing police are offered).
        self.fields["referral"].queryset = Referral.objects.filter(
            IS_DEFLECTION, officer__user__in=officers
        ).select_related("client", "officer")

    def linked_referral(self) -> Referral | None:
        """The referral the page came from, for the form to say which deflection it is for."""
        value = str(self["referral"].value() or "")
        return self.fields["referral"].queryset.filter(pk=int(value)).first() if value.isdigit() else None

    def clean(self) -> dict:
        data = super().clean()
        referral, officer = data.get("referral"), data.get("officer")
        typed = data.get("incident_number", "")
        if referral is None and typed and officer is not None:
            of_officer = self.fields["referral"].queryset.filter(officer__user=officer)
            found = list(referral_selectors.with_incident_number(of_officer, typed)[:2])
            if not found:
                self.add_error("incident_number", _("None of this officer's deflections has this incident number."))
            elif len(found) > 1:
                self.add_error(
                    "incident_number",
                    _(
                        "Several of this officer's deflections have an incident number like this one: type it "
                        "whole, or open the deflection you mean and commend the officer from its page."
                    ),
                )
            else:
                data["referral"] = found[0]
        elif referral is not None and officer is not None and referral.officer.user_id != officer.pk:
            not_theirs = _("This deflection is not this officer's: choose its officer, or commend without it.")
            self.add_error("referral", not_theirs)
        return data


class RecognitionKindForm(forms.ModelForm):
    class Meta:
        model = RecognitionKind
        fields = ["name"]
        labels = {"name": _("A new kind of recognition")}
