"""Forms for champions: naming one, and ending their time."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buyin.models import Champion
from buyin.selectors.champions import champion_candidates
from deflection.models import Unit
from deflection.widgets import DateInput


class ChampionForm(forms.ModelForm):
    """A champion of one of the agency's units, chosen from its officers and supervisors."""

    class Meta:
        model = Champion
        fields = ["unit", "user", "kind", "since", "until"]
        labels = {"user": _("Officer or supervisor")}
        widgets = {
            "since": DateInput(),
            "until": DateInput(),
        }

    def __init__(self, *args, agency_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(agency_id=agency_id)
        self.fields["user"].queryset = champion_candidates(agency_id=agency_id)
        self.fields["user"].label_from_instance = _candidate_label


def _candidate_label(user) -> str:
    unit = f" · {user.unit.name}" if user.unit_id else ""
    return f"{user.get_full_name() or user.username} · {user.get_role_display()}{unit}"


class ChampionEndForm(forms.Form):
    """The last day a champion served is the day before `until`."""

    until = forms.DateField(label=_("Until"), widget=DateInput())
