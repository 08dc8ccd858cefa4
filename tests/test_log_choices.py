"""The log form's partners and deciding offices are kept per agency (referrals.log_choices):
every change an administrator or a case manager makes shows on the next form, and what is
sent back is checked against the database, whatever was kept."""

from __future__ import annotations

import pytest

from partners.models import ServicePartner
from referrals.models import Referral
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import JusticeAgencyFactory
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db


def _partners_offered(client) -> str:
    page = client.get("/log/").content.decode()
    return page.split('id="div_id_partner"', 1)[1].split("</fieldset>", 1)[0]


def test_a_partner_s_changes_show_on_the_next_form(cast):
    officer = cast.login("officer_a1")
    assert "Full" not in _partners_offered(officer)  # read, and kept
    cast.partner_y.capacity_status = ServicePartner.Capacity.FULL
    cast.partner_y.save()
    assert "<strong>Full</strong>" in _partners_offered(officer)
    cast.partner_y.is_active = False
    cast.partner_y.save()
    assert cast.partner_y.name not in _partners_offered(officer)


def test_a_partner_linked_or_unlinked_from_either_side_shows_on_the_next_form(cast):
    officer = cast.login("officer_a1")
    newcomer = ServicePartnerFactory(name="Newcomer Peer Center", agencies=[cast.agency_b])
    assert "Newcomer" not in _partners_offered(officer)
    newcomer.agencies.add(cast.agency_a)
    assert "Newcomer" in _partners_offered(officer)
    cast.agency_a.partners.remove(newcomer)
    assert "Newcomer" not in _partners_offered(officer)
    cast.agency_a.partners.add(newcomer)
    assert "Newcomer" in _partners_offered(officer)
    newcomer.agencies.clear()
    assert "Newcomer" not in _partners_offered(officer)


def test_a_deciding_office_added_or_renamed_shows_on_the_next_form(cast):
    officer = cast.login("officer_a1")
    assert "No prosecutor" in officer.get("/log/").content.decode()
    office = JusticeAgencyFactory(name="Pima Valley County Attorney", agencies=[cast.agency_a])
    assert "Pima Valley County Attorney" in officer.get("/log/").content.decode()
    office.name = "Pima Valley Prosecutor"
    office.save()
    assert "Pima Valley Prosecutor" in officer.get("/log/").content.decode()
    office.delete()
    assert "No prosecutor" in officer.get("/log/").content.decode()


def test_a_form_sent_back_is_checked_against_the_database_not_what_was_kept(cast):
    officer = cast.login("officer_a1")
    assert cast.partner_y.name in _partners_offered(officer)
    # A change no receiver sees (a bulk update): the kept form still offers the partner...
    ServicePartner.objects.filter(pk=cast.partner_y.pk).update(is_active=False)
    assert cast.partner_y.name in _partners_offered(officer)
    # ...but logging to it is refused.
    data = _form(cast, pathway="officer_prevention")
    response = officer.post("/log/", data)
    assert response.status_code == 200 and not Referral.objects.exists()


def test_the_form_is_offered_when_the_shared_cache_is_down(cast, shared_cache_down):
    assert cast.partner_y.name in _partners_offered(cast.login("officer_a1"))
