"""The relationship and directory forms: they validate; partners.services makes the change."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from deflection.widgets import DateInput
from partners.models import PartnerContact, ServicePartner


class PartnerContactForm(forms.Form):
    contact_on = forms.DateField(label=_("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerContact.Kind.choices)
    met_with = forms.CharField(
        label=_("Who from the partner (optional)"),
        max_length=200,
        required=False,
        help_text=_("Names and roles, as you like."),
    )
    what = forms.CharField(
        label=_("What was said or agreed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step (optional)"), max_length=300, required=False)
    next_step_due = forms.DateField(
        label=_("Next step due (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("The program administrators are reminded by email that morning."),
    )

    def __init__(self, *args, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if today is not None and not self.is_bound:
            self.initial.setdefault("contact_on", today)


class TierChangeForm(forms.Form):
    tier = forms.ChoiceField(label=_("New engagement tier"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the partner's tier history with your name and the date."),
    )

    def __init__(self, *args, partner: ServicePartner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The tiers the partner can move to: staying put is not a change.
        self.fields["tier"].choices = [
            (value, label) for value, label in ServicePartner.Tier.choices if value != partner.engagement_tier
        ]


# An upload is read whole into memory: a directory of a few hundred partners is well under it.
# Bigger ones go through manage.py hsds_import.
DIRECTORY_MAX_BYTES = 1024 * 1024
# How long a checked file may wait for its confirmation.
CHECKED_FOR_SECONDS = 60 * 60
_SIGNER = signing.TimestampSigner(salt="partners.directory-import")


def _parsed(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        message = _("This file is not JSON: %(error)s")
        raise forms.ValidationError(message, params={"error": str(error)[:200]}) from error


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class DirectoryUploadForm(forms.Form):
    """An HSDS file to check: JSON, at most DIRECTORY_MAX_BYTES."""

    file = forms.FileField(
        label=_("HSDS 3.0 JSON file"),
        help_text=_("At most 1 MB. Nothing changes until you have seen what would and confirmed it."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        raw = upload.read(DIRECTORY_MAX_BYTES + 1)
        if len(raw) > DIRECTORY_MAX_BYTES:
            raise forms.ValidationError(_("This file is over 1 MB: import it with manage.py hsds_import."))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("This file is not UTF-8 text.")) from error
        return _parsed(text)

    def confirmation(self) -> DirectoryConfirmForm:
        """The form that imports what was checked, the file carried in it and signed."""
        return DirectoryConfirmForm(initial=checked(self.cleaned_data["file"]))


def checked(directory: object) -> dict[str, str]:
    """A checked directory as the confirmation carries it: the JSON and its signature."""
    # One line, no raw newline a browser could rewrite in a hidden field.
    text = json.dumps(directory, separators=(",", ":"), ensure_ascii=False)
    return {"text": text, "signature": _SIGNER.sign(_digest(text))}


class DirectoryConfirmForm(forms.Form):
    """The checked file, back to be imported: the signature says it is the one that was checked."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False)
    signature = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def clean(self) -> dict:
        data = super().clean()
        text, signature = data.get("text"), data.get("signature")
        try:
            if text is None or signature is None:
                raise signing.BadSignature
            if _SIGNER.unsign(signature, max_age=CHECKED_FOR_SECONDS) != _digest(text):
                raise signing.BadSignature
        except signing.SignatureExpired as error:
            raise forms.ValidationError(_("The check is more than an hour old: check the file again.")) from error
        except signing.BadSignature as error:
            raise forms.ValidationError(_("This is not the file that was checked: check it again.")) from error
        data["directory"] = _parsed(text)
        return data
