"""Suggestions: sent by anyone, triaged by the program admin as data (TRANSITIONS and one
_transition), each change of state on record and told to the author; changes published on
"You said, we did"."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buyin.menu import forget_menus
from buyin.models import ChangeMade, Suggestion, SuggestionEvent
from buyin.selectors.suggestions import partners_for_suggestions
from deflection import l10n
from deflection.claims import send_claimed
from deflection.models import User
from deflection.permissions import in_program, may_triage_suggestions, program_of, programs_of
from partners.models import ServicePartner
from referrals.identity_text import clients_named_in
from referrals.models import Client

S = Suggestion.State
# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "review": (frozenset({S.NEW}), S.UNDER_REVIEW),
    "change": (frozenset({S.NEW, S.UNDER_REVIEW}), S.CHANGED),
    "not_now": (frozenset({S.NEW, S.UNDER_REVIEW}), S.NOT_NOW),
    # "Not now" is not "never": a suggestion set aside may be taken up again. A change made is final.
    "reopen": (frozenset({S.NOT_NOW}), S.UNDER_REVIEW),
}
# The order the triage page offers them.
ACTION_ORDER = ("review", "change", "not_now", "reopen")
ACTION_LABELS = {  # lazy: defined at import, translated when shown
    "review": gettext_lazy("Start reviewing"),
    "change": gettext_lazy("Changed"),
    "not_now": gettext_lazy("Not now"),
    "reopen": gettext_lazy("Review again"),
}


class SuggestionRefused(ValidationError):
    """A suggestion or a move the rules do not allow, with a message for the user."""


def _names_no_client(text: str, *, user: User, field: str, message: str) -> str:
    """Refuse text that holds the whole name of a client of the user's programs: a suggestion
    is read by the program administrator, its answer and a change made by everyone in them."""
    if clients_named_in(text=text, clients=Client.objects.filter(agency__program__in=programs_of(user))):
        raise SuggestionRefused({field: message})
    return text


# Said where the text would go; never the name found.
NAMED_IN_SUGGESTION = gettext_lazy(
    "A suggestion names no client, and this text contains a client's name. Say it without the name."
)
NAMED_IN_ANSWER = gettext_lazy(
    "The author reads this, and a change made is published to everyone in the program: it contains a "
    "client's name. Say it without the name."
)


def allowed_actions(*, suggestion: Suggestion, user: User) -> list[str]:
    """The moves this user may make on this suggestion now (what the triage page offers)."""
    if not may_triage_suggestions(user):
        return []
    return [action for action in ACTION_ORDER if suggestion.state in TRANSITIONS[action][0]]


@transaction.atomic
def suggestion_send(
    *, author: User, topic: str, text: str, partner: ServicePartner | None = None, may_name_me: bool = False
) -> Suggestion:
    """Anyone signed in sends a suggestion; it arrives new, for the program admin."""
    if partner is not None:
        if topic != Suggestion.Topic.PARTNER:
            raise SuggestionRefused({"partner": _("Choose “A partner” as the topic to name a partner.")})
        if not partners_for_suggestions(user=author).filter(pk=partner.pk).exists():
            raise SuggestionRefused({"partner": _("Choose one of the partners listed.")})
    text = _names_no_client(text.strip(), user=author, field="text", message=str(NAMED_IN_SUGGESTION))
    suggestion = Suggestion(author=author, topic=topic, partner=partner, text=text, may_name_me=may_name_me)
    suggestion.state_changed_at = suggestion.created_at
    suggestion.full_clean()
    suggestion.save()
    SuggestionEvent.objects.create(suggestion=suggestion, actor=author, at=suggestion.created_at, to_state=S.NEW)
    return suggestion


def _transition(*, suggestion_id: int, actor: User, action: str, note: str = "", **fields) -> Suggestion:
    """Lock the suggestion, check the move, change the state, write its history row, and tell
    the author once the transaction commits."""
    suggestion = in_program(Suggestion.objects.select_for_update(), actor).filter(pk=suggestion_id).first()
    if suggestion is None or not may_triage_suggestions(actor):
        # The caller answers 404: never confirm that a suggestion exists.
        raise SuggestionRefused(_("This suggestion does not exist."))
    sources, target = TRANSITIONS[action]
    if suggestion.state not in sources:
        raise SuggestionRefused(
            _("A suggestion that is %(state)s cannot be moved to “%(target)s”.")
            % {"state": str(suggestion.get_state_display()).lower(), "target": S(target).label}
        )
    from_state = suggestion.state
    now = timezone.now()
    suggestion.state = target
    suggestion.state_changed_at = now
    for name, value in fields.items():
        setattr(suggestion, name, value)
    suggestion.full_clean()
    suggestion.save(update_fields=["state", "state_changed_at", *fields])
    event = SuggestionEvent.objects.create(
        suggestion=suggestion, actor=actor, at=now, from_state=from_state, to_state=target, note=note
    )
    # Imported here: the task module imports these services.
    from buyin.tasks import tell_suggestion_author

    transaction.on_commit(lambda: tell_suggestion_author.delay(event.pk))
    return suggestion


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise SuggestionRefused({field: message})
    return value


def _changed_on(value: date | None) -> date:
    if value is None:
        raise SuggestionRefused({"changed_on": _("Say when the change was made.")})
    if value > timezone.localdate():
        raise SuggestionRefused({"changed_on": _("A change made cannot be in the future.")})
    return value


@transaction.atomic
def suggestion_review(*, suggestion_id: int, actor: User, note: str = "") -> Suggestion:
    """The program admin takes the suggestion up: under review."""
    return _transition(suggestion_id=suggestion_id, actor=actor, action="review", note=note.strip())


@transaction.atomic
def suggestion_change(*, suggestion_id: int, actor: User, answer: str, changed_on: date | None) -> Suggestion:
    """Acted on: what was changed and when (required); it goes on "You said, we did"."""
    answer = _required(answer, "answer", _("Say what was changed."))
    _names_no_client(answer, user=actor, field="answer", message=str(NAMED_IN_ANSWER))
    return _transition(
        suggestion_id=suggestion_id,
        actor=actor,
        action="change",
        note=answer,
        answer=answer,
        changed_on=_changed_on(changed_on),
    )


@transaction.atomic
def suggestion_not_now(*, suggestion_id: int, actor: User, answer: str) -> Suggestion:
    """Set aside for now, with why (required)."""
    answer = _required(answer, "answer", _("Say why not now."))
    _names_no_client(answer, user=actor, field="answer", message=str(NAMED_IN_ANSWER))
    return _transition(suggestion_id=suggestion_id, actor=actor, action="not_now", note=answer, answer=answer)


@transaction.atomic
def suggestion_reopen(*, suggestion_id: int, actor: User, note: str = "") -> Suggestion:
    """A suggestion set aside is taken up again: under review; the old answer no longer stands."""
    return _transition(suggestion_id=suggestion_id, actor=actor, action="reopen", note=note.strip(), answer="")


@transaction.atomic
def suggestion_mark_read(*, author: User) -> int:
    """The author has read the answers to their suggestions (a POST: opening the page writes nothing)."""
    marked = Suggestion.objects.filter(author=author).exclude(state=S.NEW).update(author_seen_at=timezone.now())
    forget_menus([author.pk])  # an update sends no post_save
    return marked


@transaction.atomic
def change_made_publish(*, actor: User, topic: str, what: str, changed_on: date | None) -> ChangeMade:
    """The program admin publishes a change made from officers' feedback on "You said, we did"."""
    if not may_triage_suggestions(actor):
        raise SuggestionRefused(_("Only program administration publishes changes."))
    program_id = program_of(actor)
    if program_id is None:
        raise SuggestionRefused(_("Publish it as the administrator of the program that made the change."))
    what = _required(what, "what", _("Say what was changed."))
    _names_no_client(what, user=actor, field="what", message=str(NAMED_IN_ANSWER))
    change = ChangeMade(
        program_id=program_id,
        topic=topic,
        what=what,
        changed_on=_changed_on(changed_on),
        published_by=actor,
    )
    change.full_clean()
    change.save()
    return change


# What the author's email says of each new state (the admin's answer follows, if any).
NOTICE_LINES = {
    S.UNDER_REVIEW: gettext_lazy("The program administrator is reviewing your suggestion."),
    S.CHANGED: gettext_lazy("Your suggestion was acted on. What was changed:"),
    S.NOT_NOW: gettext_lazy("Your suggestion was set aside for now. Why:"),
}


def suggestion_tell_author(*, event_id: int) -> bool:
    """Email the author of a suggestion about one change of its state, once.

    The history row is claimed, the mail sent outside any transaction, the row marked emailed
    (deflection/claims.py), so a task run twice sends one email. It names the topic, the new
    state and the admin's answer: never the suggestion's own text (it may mention a client),
    never client data.
    """
    unsent = SuggestionEvent.objects.filter(pk=event_id, notified_at__isnull=True).exclude(from_state="")
    event = unsent.select_related("suggestion__author").first()
    if event is None or not event.suggestion.author.is_active or not event.suggestion.author.email:
        return False

    def send(claimed: list[SuggestionEvent]) -> dict:
        _tell(claimed[0])
        return {"notified_at": timezone.now()}

    return bool(send_claimed(unsent.select_related("suggestion__author"), send=send))


def _tell(event: SuggestionEvent) -> None:
    suggestion, author = event.suggestion, event.suggestion.author
    # In the author's language, whoever answered.
    with translation.override(author.email_language):
        lines = [
            _("Hello %(name)s,") % {"name": author.first_name or author.get_username()},
            "",
            _("Your suggestion about %(topic)s, sent on %(sent)s, is now: %(state)s.")
            % {
                "topic": str(suggestion.get_topic_display()).lower(),
                "sent": l10n.day(suggestion.created_at),
                "state": S(event.to_state).label,
            },
        ]
        if event.to_state in NOTICE_LINES:
            lines += ["", str(NOTICE_LINES[event.to_state])]
        if event.note and event.to_state in (S.CHANGED, S.NOT_NOW):
            lines += [event.note]
        if event.to_state == S.CHANGED and suggestion.changed_on:
            lines += [_("Changed on %(date)s.") % {"date": l10n.day(suggestion.changed_on)}]
        link = settings.SITE_URL.rstrip("/") + reverse("buyin:suggestions_mine")
        lines += ["", _("Your suggestions and their answers (sign-in required): %(link)s") % {"link": link}]
        subject = _("Deflection: your suggestion is %(state)s") % {"state": str(S(event.to_state).label).lower()}
    # fail_silently=False: an SMTP error raises, the claim is released, the task retries.
    EmailMessage(subject=subject, body="\n".join(lines), to=[author.email]).send(fail_silently=False)
