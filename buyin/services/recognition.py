"""Writes for recognition: the agency's kinds of recognition, commending an officer, the
officer's choice to be named, and the officer's notice by email.

The default kinds (buyin.models.recognition.DEFAULT_KINDS) are saved for an agency on its
first use of recognition (its first commendation, or its command staff's first change to
the list), never by a page load: until then the commend form offers them by name.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buyin.models import Commendation, RecognitionKind
from buyin.models.recognition import DEFAULT_KINDS
from deflection.claims import send_claimed
from deflection.models import Agency, User
from deflection.permissions import may_commend, may_commend_for, may_manage_recognition
from referrals.identity_text import clients_near, identifiers_in_text, others_identified_in
from referrals.models import Client, Referral

logger = logging.getLogger(__name__)


def commendation_check_text(*, text: str, referral: Referral | None, officer: User | None = None) -> None:
    """Refuse a commendation's text that holds a client's name, alias, date of birth or phone.

    Checked against the referral's client when the commendation is for a referral (a first or
    last name alone counts: the text is about that client), and against every client the
    officer referred in the last RECENT_CLIENTS_DAYS: their whole names (first and last),
    aliases, dates of birth and phones, not a first name alone (among that many, common
    words). A commendation for one deflection may tell of another. Then against any client of
    the agency or its program: a whole name, a surname after a title, a phone number
    (identity_text.others_identified_in). The message names the kind of identifier found,
    never its value.
    """
    if referral is not None:
        found = identifiers_in_text(text=text, client=referral.client, name_parts=True)
        if found:
            message = _(
                "A commendation names no client, and this text contains the client's %(what)s. "
                "Describe what the officer did without it."
            )
            raise ValidationError({"text": message % {"what": ", ".join(found)}})
    if officer is None:
        return
    since = timezone.now() - timedelta(days=RECENT_CLIENTS_DAYS)
    clients = Client.objects.filter(referrals__officer__user=officer, referrals__occurred_at__gte=since)
    if referral is not None:
        clients = clients.exclude(pk=referral.client_id)
    fields = ("first_name", "last_name", "aliases", "date_of_birth", "phone")
    for client in clients.distinct().only(*fields):
        found = identifiers_in_text(text=text, client=client, name_parts=False)
        if found:
            message = _(
                "A commendation names no client, and this text contains the %(what)s of a client this officer "
                "referred. Describe what the officer did without it."
            )
            raise ValidationError({"text": message % {"what": ", ".join(found)}})
    # Then anyone's: a whole name, a surname after a title, a phone number of a client of the
    # agency or its program (the briefing and the letter are read well beyond the officer).
    found = others_identified_in(text=text, clients=clients_near(officer.agency_id))
    if found:
        message = _(
            "A commendation names no client, and this text contains a client's %(what)s. Describe what the "
            "officer did without it."
        )
        raise ValidationError({"text": message % {"what": ", ".join(found)}})


# How far back a commendation's text is checked against the officer's clients.
RECENT_CLIENTS_DAYS = 365


@transaction.atomic
def recognition_kinds_ensure(*, agency: Agency) -> None:
    """Save the default kinds for an agency that has none of its own yet."""
    if RecognitionKind.objects.filter(agency=agency).exists():
        return
    # Two first commendations at once: get_or_create lets the second find the first's rows.
    for name in DEFAULT_KINDS:
        RecognitionKind.objects.get_or_create(agency=agency, name=name)


def _manager_check(*, actor: User, agency: Agency) -> None:
    if not may_manage_recognition(user=actor, agency=agency):
        raise ValidationError(_("You cannot change this agency's kinds of recognition."))


@transaction.atomic
def recognition_kind_add(*, actor: User, agency: Agency, name: str) -> RecognitionKind:
    """Add a kind of recognition to the agency's list (command staff, program administrator)."""
    _manager_check(actor=actor, agency=agency)
    recognition_kinds_ensure(agency=agency)
    if RecognitionKind.objects.filter(agency=agency, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("This agency already has a kind of recognition by that name.")})
    kind = RecognitionKind(agency=agency, name=name.strip())
    kind.full_clean()
    kind.save()
    return kind


@transaction.atomic
def recognition_kind_set_offered(*, actor: User, kind_id: int, offered: bool) -> RecognitionKind:
    """Offer a kind of recognition again, or retire it (its commendations keep it)."""
    kind = RecognitionKind.objects.select_for_update().select_related("agency").get(pk=kind_id)
    _manager_check(actor=actor, agency=kind.agency)
    kind.is_active = offered
    kind.full_clean()
    kind.save(update_fields=["is_active"])
    return kind


@transaction.atomic
def commendation_create(
    *, actor: User, officer: User, kind_name: str, text: str, referral: Referral | None = None
) -> Commendation:
    """Commend an officer, optionally for one of their deflections; the officer is emailed
    once the commendation is saved."""
    if not may_commend(user=actor, officer=officer):
        raise ValidationError(_("You cannot commend this officer."))
    if referral is not None and (
        referral.officer.user_id != officer.pk or not may_commend_for(user=actor, referral=referral)
    ):
        raise ValidationError({"referral": _("Choose one of this officer's own deflections.")})
    commendation_check_text(text=text, referral=referral, officer=officer)
    recognition_kinds_ensure(agency=officer.agency)
    kind = RecognitionKind.objects.filter(agency_id=officer.agency_id, name=kind_name, is_active=True).first()
    if kind is None:
        raise ValidationError({"kind": _("This kind of recognition is not offered; choose another.")})
    commendation = Commendation(officer=officer, commended_by=actor, kind=kind, referral=referral, text=text.strip())
    commendation.agency_id = officer.agency_id
    commendation.full_clean()
    commendation.save()
    from buyin.tasks import send_commendation_email  # the task module imports this one

    transaction.on_commit(lambda: send_commendation_email.delay(commendation.pk))
    return commendation


@transaction.atomic
def commendation_set_naming(*, actor: User, commendation_id: int, may_name: bool) -> Commendation:
    """The officer's own choice: whether the digest and the briefing may name them for it."""
    commendation = Commendation.objects.select_for_update().filter(pk=commendation_id).first()
    if commendation is None or commendation.officer_id != actor.pk:
        raise ValidationError(_("Only the officer commended decides whether they are named."))
    commendation.may_name = may_name
    commendation.named_choice_at = timezone.now()
    commendation.full_clean()
    commendation.save(update_fields=["may_name", "named_choice_at"])
    return commendation


def commendation_email_send(*, commendation_id: int) -> bool:
    """Tell the officer they were commended, once (deflection/claims.py: claimed, sent outside
    any transaction, then marked). The email says who and which kind, and links to their
    record; the text stays in the app."""

    def send(claimed: list[Commendation]) -> dict:
        commendation = claimed[0]
        officer = commendation.officer
        if officer.email and officer.is_active:
            # In the officer's language, whoever commended them.
            with translation.override(officer.email_language):
                link = settings.SITE_URL.rstrip("/") + reverse("reports:my_record")
                body = "\n".join(
                    [
                        _("Hello %(name)s,") % {"name": officer.get_full_name() or officer.username},
                        "",
                        _("%(who)s (%(role)s) recognized your work: %(kind)s.")
                        % {
                            "who": commendation.commended_by.get_full_name() or commendation.commended_by.username,
                            "role": commendation.commended_by.get_role_display(),
                            "kind": commendation.kind.label,
                        },
                        _(
                            "Read it, print the letter for your file, and choose whether you may be named in the "
                            "weekly digest and briefing, under My record:"
                        ),
                        link,
                    ]
                )
                subject = _("You were commended")
            # fail_silently=False: an SMTP error releases the claim and the task retries.
            EmailMessage(subject=subject, body=body, to=[officer.email]).send(fail_silently=False)
        return {"emailed_at": timezone.now()}

    sent = send_claimed(
        Commendation.objects.filter(pk=commendation_id, emailed_at__isnull=True).select_related(
            "officer", "commended_by", "kind"
        ),
        send=send,
    )
    if sent:
        logger.info("Commendation %s notice sent", commendation_id)
    return bool(sent)
