"""A program admin merges two client rows that are one person."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from referrals import services
from referrals.models import CaseEvent, Client, ClientMerge, Consent
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicates(cast):
    survivor = ClientFactory(agency=cast.agency_a, first_name="Rafael", last_name="Montoya", phone="")
    duplicate = ClientFactory(
        agency=cast.agency_a, first_name="Rafa", last_name="Montoya", aliases="Tito", phone="520-555-0199"
    )
    officer = OfficerFactory(user=cast.officer_a1)
    kept = ReferralFactory(officer=officer, client=survivor, partner=cast.partner_y)
    moved = ReferralFactory(officer=officer, client=duplicate, partner=cast.partner_y)
    services.referral_accept(referral_id=moved.pk, actor=cast.case_manager_y)
    services.consent_capture(
        referral_id=moved.pk,
        actor=cast.case_manager_y,
        scope="status_only",
        to_referring_agency=True,
        purpose="Follow-up",
        signature_name="Rafa Montoya",
        signed_on=timezone.localdate(moved.occurred_at),
        expiry_event="end_of_treatment",
    )
    return survivor, duplicate, kept, moved


def test_merging_moves_referrals_and_consents_and_records_it(cast, duplicates):
    survivor, duplicate, kept, moved = duplicates
    record = services.client_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, actor=cast.admin)
    assert not Client.objects.filter(pk=duplicate.pk).exists()
    assert set(survivor.referrals.values_list("pk", flat=True)) == {kept.pk, moved.pk}
    assert Consent.objects.get().client == survivor
    survivor.refresh_from_db()
    assert "Rafa Montoya" in survivor.aliases and "Tito" in survivor.aliases
    assert survivor.phone == "520-555-0199"
    assert (record.referrals_moved, record.consents_moved, record.merged_by) == (1, 1, cast.admin)
    assert record.merged_snapshot["first_name"] == "Rafa"
    assert CaseEvent.objects.filter(referral=moved, kind="client_merged").count() == 1
    # The merged name still finds the person.
    from referrals.search import client_search_for_officer

    assert client_search_for_officer(user=cast.officer_a1, query="tito")[0] == survivor


@pytest.mark.parametrize("who", ["officer_a1", "supervisor_a", "case_manager_y", "command_a"])
def test_only_a_program_admin_merges(cast, duplicates, who):
    survivor, duplicate, *_ = duplicates
    with pytest.raises(ValidationError):
        services.client_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, actor=getattr(cast, who))
    assert Client.objects.filter(pk=duplicate.pk).exists()


def test_clients_of_different_agencies_are_not_merged(cast, duplicates):
    survivor, *_ = duplicates
    stranger = ClientFactory(agency=cast.agency_b)
    with pytest.raises(ValidationError):
        services.client_merge(survivor_id=survivor.pk, merged_id=stranger.pk, actor=cast.admin)
    assert ClientMerge.objects.count() == 0


def test_the_admin_merges_from_the_admin_site(cast, duplicates):
    survivor, duplicate, *_ = duplicates
    client = cast.login("admin")
    response = client.post(
        "/admin/referrals/clientmerge/add/", {"survivor": survivor.pk, "merged": duplicate.pk}, follow=True
    )
    assert response.status_code == 200
    assert ClientMerge.objects.filter(survivor=survivor, merged_client_id=duplicate.pk).exists()
    assert not Client.objects.filter(pk=duplicate.pk).exists()
    # The record cannot be changed or deleted afterwards.
    record = ClientMerge.objects.get()
    assert client.post(f"/admin/referrals/clientmerge/{record.pk}/delete/", {"post": "yes"}).status_code == 403


def test_after_a_merge_the_later_referral_is_a_reengagement(cast, duplicates):
    survivor, duplicate, kept, moved = duplicates
    services.client_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, actor=cast.admin)
    first, second = sorted([kept, moved], key=lambda r: (r.occurred_at, r.pk))
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.reengagement_of_id == first.pk and first.reengagement_of_id is None


def test_a_client_who_absorbed_another_can_be_merged_again(cast):
    first, second, third = (ClientFactory(agency=cast.agency_a) for _ in range(3))
    services.client_merge(survivor_id=second.pk, merged_id=first.pk, actor=cast.admin)
    response = cast.login("admin").post(
        "/admin/referrals/clientmerge/add/", {"survivor": third.pk, "merged": second.pk}
    )
    assert response.status_code == 302
    # Every earlier merge now names the last survivor: the record stays one level deep.
    assert set(ClientMerge.objects.values_list("survivor_id", "merged_client_id")) == {
        (third.pk, first.pk),
        (third.pk, second.pk),
    }
    assert not Client.objects.filter(pk__in=[first.pk, second.pk]).exists()
