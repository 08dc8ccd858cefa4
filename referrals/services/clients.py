"""Duplicate clients: two rows that were one person become one; and the question a deflection
logged with no signal leaves when its new client may be someone the agency knows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection import permissions
from deflection.models import User
from deflection.permissions import administers_programs, in_program
from referrals import event_notes
from referrals.models import CaseEvent, Client, ClientMerge, PossibleDuplicate, Referral, normalize_name
from referrals.services.shared import _event


@transaction.atomic
def client_merge(*, survivor_id: int, merged_id: int, actor: User) -> ClientMerge:
    """Two rows were one person: move referrals and consents to the survivor, and record it."""
    if not administers_programs(actor):
        raise ValidationError(_("Only a program administrator merges clients."))
    # Another program's client is as good as missing to its administrator (no hint it exists).
    return _merge(
        survivor_id=survivor_id, merged_id=merged_id, actor=actor, scope=in_program(Client.objects.all(), actor)
    )


def _merge(*, survivor_id: int, merged_id: int, actor: User, scope) -> ClientMerge:
    # Inside the caller's transaction, which has decided that the actor may merge these two,
    # among the clients of `scope` (a program administrator's program; an officer's agency).
    if survivor_id == merged_id:
        raise ValidationError(_("Choose two different clients."))
    locked = scope.select_for_update(of=("self",))
    clients = {c.pk: c for c in locked.filter(pk__in=[survivor_id, merged_id])}
    if len(clients) != 2:
        raise ValidationError(_("Both clients must exist."))
    survivor, merged = clients[survivor_id], clients[merged_id]
    if survivor.agency_id != merged.agency_id:
        raise ValidationError(_("Clients of different agencies cannot be merged."))
    snapshot = {
        field: str(getattr(merged, field) or "")
        for field in ("first_name", "last_name", "aliases", "date_of_birth", "phone", "preferred_language")
    }
    moved = list(merged.referrals.all())
    merged.referrals.update(client=survivor)
    consents_moved = merged.consents.update(client=survivor)
    # The merged row may itself have absorbed others: their records now point at the survivor,
    # so a client's merges are always one level deep (see referrals.disclosures).
    ClientMerge.objects.filter(survivor=merged).update(survivor=survivor)
    # Keep what the merged row knew: its name and aliases become aliases of the survivor.
    known = {normalize_name(a) for a in survivor.aliases.split(",")} | {normalize_name(survivor.full_name)}
    additions: list[str] = []
    for name in [merged.full_name, *merged.aliases.split(",")]:
        if name.strip() and normalize_name(name) not in known:
            known.add(normalize_name(name))
            additions.append(name.strip())
    survivor.aliases = ", ".join(filter(None, [survivor.aliases, *additions]))[:300]
    survivor.date_of_birth = survivor.date_of_birth or merged.date_of_birth
    survivor.phone = survivor.phone or merged.phone
    survivor.refresh_search_name()
    survivor.save()
    _relink_reengagements(client=survivor)
    record = ClientMerge.objects.create(
        survivor=survivor,
        merged_client_id=merged.pk,
        merged_snapshot=snapshot,
        referrals_moved=len(moved),
        consents_moved=consents_moved,
        merged_by=actor,
    )
    for referral in moved:
        _event(
            referral=referral,
            actor=actor,
            kind=CaseEvent.Kind.CLIENT_MERGED,
            **event_notes.note("client_merged", old=merged.pk, new=survivor.pk),
        )
    merged.delete()
    return record


def _relink_reengagements(*, client: Client) -> None:
    """Each referral of the client links to the deflection before it, so the
    re-engagement figures stay right after two rows became one."""
    previous = None
    for referral in client.referrals.order_by("occurred_at", "id"):
        if referral.reengagement_of_id != (previous.pk if previous else None):
            referral.reengagement_of = previous
            referral.save(update_fields=["reengagement_of"])
        if not referral.cancelled_by_officer:  # IS_DEFLECTION
            previous = referral


class PossibleDuplicateRefused(ValidationError):
    """Not this user's question to answer, or no longer open: the view answers 404."""


def possible_duplicate_record(*, referral: Referral, candidates: list[Client], logged_by: User) -> PossibleDuplicate:
    """The question a deflection logged with no signal leaves: is its new client one of these?

    Written by referral_create's transaction, with the referral: never on its own."""
    flag = PossibleDuplicate.objects.create(referral=referral, client_id=referral.client_id, logged_by=logged_by)
    flag.candidates.set(candidates)
    return flag


@transaction.atomic
def possible_duplicate_resolve(*, flag_id: int, actor: User, same_as_id: int | None) -> PossibleDuplicate:
    """The officer who logged the deflection answers: the same person as one of the clients
    found (`same_as_id`: the two rows are merged into that one, as client_merge merges), or a
    different person (None: the question is closed and nothing else changes)."""
    flag = PossibleDuplicate.objects.select_for_update(of=("self",)).filter(pk=flag_id).first()
    if flag is None or not permissions.may_resolve_possible_duplicate(user=actor, flag=flag):
        raise PossibleDuplicateRefused(_("This question is not yours to answer."))
    if flag.decision or flag.client_id is None:
        raise PossibleDuplicateRefused(_("This question was answered already."))
    if same_as_id is None:
        flag.decision = PossibleDuplicate.Decision.DIFFERENT
    else:
        if not flag.candidates.filter(pk=same_as_id, identity_removed_at=None).exists():
            raise ValidationError(_("Choose one of the people listed."))
        agency_clients = Client.objects.filter(agency_id=actor.agency_id)
        _merge(survivor_id=same_as_id, merged_id=flag.client_id, actor=actor, scope=agency_clients)
        flag.decision = PossibleDuplicate.Decision.SAME
        flag.merged_into_id = same_as_id
    flag.decided_at = timezone.now()
    flag.save(update_fields=["decision", "decided_at", "merged_into"])
    return flag
