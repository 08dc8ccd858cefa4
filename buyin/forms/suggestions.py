"""The suggestion form, the triage filters and answers, and a change published by the admin."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buyin.models import ChangeMade, Suggestion
from buyin.selectors.suggestions import partners_for_suggestions
from deflection.models import User
from deflection.widgets import DateInput

TEXT_MAX = 1000


class SuggestionForm(forms.ModelForm):
    """One short form, reached from every page."""

    class Meta:
        model = Suggestion
        fields = ["topic", "partner", "text", "may_name_me"]
        widgets = {
            "topic": forms.RadioSelect,
            "text": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
        }
        labels = {"partner": _("Which partner (optional)")}
        help_texts = {
            "text": _("Up to 1000 characters. Please name no client: say what happened, not who."),
            "may_name_me": _("Off: the change is listed without your name."),
        }

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = Suggestion.Topic.choices  # no empty "---------" radio
        self.fields["partner"].queryset = partners_for_suggestions(user=user)
        self.fields["partner"].empty_label = _("No partner in particular")


class TriageFilterForm(forms.Form):
    """The triage list's filters (in the URL: they carry no client data)."""

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Every state")), *Suggestion.State.choices]
    )
    topic = forms.ChoiceField(
        label=_("About"), required=False, choices=[("", _("Every topic")), *Suggestion.Topic.choices]
    )


def _today():
    return timezone.localdate()


def _text(label: str, *, rows: int = 3, required: bool = True, help_text: str = "") -> forms.CharField:
    """An answer box of at most TEXT_MAX characters."""
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class NoteForm(forms.Form):
    note = _text(_("Note (optional)"), rows=2, required=False)


class ChangedForm(forms.Form):
    answer = _text(_("What was changed"), help_text=_("Shown to the author and on “You said, we did”. Name no client."))
    changed_on = forms.DateField(label=_("Changed on"), initial=_today, widget=DateInput())


class NotNowForm(forms.Form):
    answer = _text(_("Why not now"), help_text=_("Shown to the author. Name no client."))


# action -> the form its answer is written in
ACTION_FORMS: dict[str, type[forms.Form]] = {
    "review": NoteForm,
    "change": ChangedForm,
    "not_now": NotNowForm,
    "reopen": NoteForm,
}


class ChangeMadeForm(forms.ModelForm):
    """A change made from officers' feedback, not the answer to one suggestion."""

    class Meta:
        model = ChangeMade
        fields = ["topic", "what", "changed_on"]
        widgets = {
            "what": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_MAX}),
            "changed_on": DateInput(),
        }
        help_texts = {"what": _("Shown to everyone on “You said, we did”. Name no client.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["changed_on"].initial = _today
