"""The officer's one screen: what it offers, what it refuses, and that it saves once."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deflection.models import User
from referrals import services
from referrals.models import CaseEvent, Client, Consent, OfficerContact, Referral
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import (
    ClientFactory,
    JusticeAgencyFactory,
    OfficerFactory,
    ReferralFactory,
    consent_given,
)

pytestmark = pytest.mark.django_db


def _form(cast, **overrides) -> dict:
    data = {
        "submission_token": str(uuid.uuid4()),
        "action": "save",
        "first_name": "Lorenzo",
        "last_name": "Abernathy",
        "date_of_birth": "1988-06-14",
        "preferred_language": "es",
        "pathway": "officer_intervention",
        "partner": str(cast.partner_y.pk),
        "presenting_needs": ["substance_use", "housing"],
        "naloxone_administered": "on",
        "charge_deflected": "Possession of drug paraphernalia",
        "warm_handoff": "on",
        "officer_minutes": "35",
        "note": "Agreed to go to the clinic tonight.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_offers_24_7_partners_first_and_only_those_serving_the_agency(cast):
    ServicePartnerFactory(name="Other County Detox", agencies=[cast.agency_b])
    page = cast.login("officer_a1").get("/log/").content.decode()
    assert page.index("Y 24/7 MAT Clinic") < page.index("X Recovery Clinic")
    assert "Other County Detox" not in page


def test_the_minutes_are_prefilled_with_the_agency_default(cast):
    response = cast.login("officer_a1").get("/log/")
    assert response.context["form"]["officer_minutes"].value() == 25


def test_a_new_clients_language_starts_as_the_officers_own(cast):
    """An officer working in Spanish most likely spoke with the person in Spanish."""
    client = cast.login("officer_a1")
    assert '<option value="en" selected>' in client.get("/log/").content.decode()
    User.objects.filter(pk=cast.officer_a1.pk).update(language="es")
    page = cast.login("officer_a1").get("/log/").content.decode()
    assert '<option value="es" selected>' in page and '<option value="en" selected>' not in page


def test_saving_logs_the_deflection_and_shows_it(cast):
    client = cast.login("officer_a1")
    response = client.post("/log/", _form(cast), follow=True)
    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == f"/referrals/{referral.pk}/"
    assert "Deflection logged" in response.content.decode()
    assert referral.status == "requested"
    assert referral.naloxone_administered and referral.warm_handoff
    assert referral.officer_minutes == 35
    assert referral.client.preferred_language == "es"
    assert CaseEvent.objects.filter(referral=referral, kind="created").count() == 1
    mine = client.get("/mine/").content.decode()
    assert "Lorenzo Abernathy" in mine


def test_a_resubmitted_form_creates_one_referral(cast):
    client = cast.login("officer_a1")
    data = _form(cast)
    client.post("/log/", data)
    response = client.post("/log/", data, follow=True)
    assert Referral.objects.count() == 1
    assert Client.objects.count() == 1
    assert "already saved" in response.content.decode()


def test_a_known_client_is_picked_by_id(cast):
    known = ClientFactory(agency=cast.agency_a, first_name="Tobias", last_name="Fenwick")
    cast.login("officer_a1").post("/log/", _form(cast, client=str(known.pk), first_name="", last_name=""))
    assert Referral.objects.get().client == known
    assert Client.objects.count() == 1


def test_another_agencys_client_id_is_refused_and_nothing_saved(cast):
    stranger = ClientFactory(agency=cast.agency_b)
    response = cast.login("officer_a1").post("/log/", _form(cast, client=str(stranger.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["client"]
    assert Referral.objects.count() == 0


def test_a_likely_duplicate_asks_before_creating_a_second_client(cast):
    ClientFactory(agency=cast.agency_a, first_name="Lorenzo", last_name="Abernathy")
    client = cast.login("officer_a1")
    response = client.post("/log/", _form(cast, first_name="Lorenso", last_name="Abernathy", date_of_birth=""))
    assert response.status_code == 200
    assert "may already be known" in response.content.decode()
    assert Referral.objects.count() == 0
    # The officer says it is someone else: their call.
    client.post("/log/", _form(cast, first_name="Lorenso", last_name="Abernathy", date_of_birth="", confirm_new="on"))
    assert Client.objects.count() == 2
    assert Referral.objects.count() == 1


def test_the_search_button_works_without_javascript_and_keeps_what_was_typed(cast):
    ClientFactory(agency=cast.agency_a, first_name="Philippa", last_name="Oyelaran")
    response = cast.login("officer_a1").post(
        "/log/", _form(cast, action="search", search="philipa oyelaran", note="kept note")
    )
    page = response.content.decode()
    assert "Oyelaran" in page and "kept note" in page
    assert "is-invalid" not in page
    assert Referral.objects.count() == 0


def test_a_date_of_birth_found_never_breaks_across_lines_on_a_phone(cast):
    ClientFactory(agency=cast.agency_a, first_name="Philippa", last_name="Oyelaran", date_of_birth=date(1957, 7, 4))
    fragment = cast.login("officer_a1").post("/log/clients/", {"search": "philippa oyelaran"}).content.decode()
    # Not "born 1957-07-" on one line and "04" on the next.
    assert '<span class="text-nowrap">born 1957-07-04</span>' in fragment


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pathway", None, "Choose a pathway"),
        ("partner", None, "Choose the partner you are referring to"),
        ("first_name", "", "first name"),
        ("last_name", "", "last name"),
        ("officer_minutes", "-5", "cannot be negative"),
        ("officer_minutes", "", "Enter the minutes you spent"),
        ("date_of_birth", (timezone.localdate() + timedelta(days=3)).isoformat(), "cannot be in the future"),
        ("date_of_birth", "1890-01-01", "more than 120 years ago"),
        ("date_of_birth", "31/31/2000", "Enter a valid date"),
        ("note", "x" * 2001, "at most 2000 characters"),
        ("charge_deflected", "x" * 201, "at most 200 characters"),
        ("first_name", "x" * 101, "at most 100 characters"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(cast, field, value, message):
    response = cast.login("officer_a1").post("/log/", _form(cast, **{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # The message sits next to its field, tied to it for screen readers.
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    # What was typed is kept.
    assert "Abernathy" in page or field == "last_name"
    assert Referral.objects.count() == 0
    assert Client.objects.count() == 0


def test_a_partner_that_does_not_serve_the_agency_is_refused_by_name(cast):
    elsewhere = ServicePartnerFactory(name="Far County Detox", agencies=[cast.agency_b])
    response = cast.login("officer_a1").post("/log/", _form(cast, partner=str(elsewhere.pk)))
    assert "Far County Detox does not serve your agency" in " ".join(response.context["form"].errors["partner"])
    assert Referral.objects.count() == 0


def test_a_time_in_the_future_is_refused(cast):
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = cast.login("officer_a1").post("/log/", _form(cast, occurred_at=later))
    assert "cannot be in the future" in " ".join(response.context["form"].errors["occurred_at"])


def test_my_deflections_is_newest_first_and_paginated(cast):
    client = cast.login("officer_a1")
    for i in range(27):
        client.post(
            "/log/",
            _form(
                cast,
                first_name=f"Person{i}",
                last_name=f"Testcase{i}",
                confirm_new="on",
                occurred_at=(timezone.localtime() - timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M"),
            ),
        )
    assert Referral.objects.count() == 27
    first = client.get("/mine/").content.decode()
    assert "Person0 Testcase0" in first and "Person26 Testcase26" not in first
    assert first.index("Person0 ") < first.index("Person1 ")
    second = client.get("/mine/?page=2").content.decode()
    assert "Person26 Testcase26" in second and "Person24 " not in second
    # A link kept from when the list was longer lands on the last page there is.
    assert "Person26 Testcase26" in client.get("/mine/?page=7").content.decode()


def _row_of(page: str, referral: Referral) -> str:
    """The <li> of My deflections that links to this referral."""
    found = re.search(rf'<li class="list-group-item"><a [^>]*href="/referrals/{referral.pk}/">(.*?)</li>', page, re.S)
    assert found, f"no row for referral {referral.pk}"
    return found.group(1)


def test_each_row_of_my_deflections_says_what_the_officer_logged_in_their_language(cast):
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast, first_name="Ana", last_name="<b>Bold</b>"))
    client.post(
        "/log/", _form(cast, first_name="Beto", last_name="Quiet", confirm_new="on", partner=str(cast.partner_x.pk))
    )
    told, quiet = Referral.objects.get(client__first_name="Ana"), Referral.objects.get(client__first_name="Beto")
    Referral.objects.filter(pk=told.pk).update(incident_number="24-0077")  # from the records system, later
    consent_given(told, cast.case_manager_y)
    services.referral_accept(referral_id=told.pk, actor=cast.case_manager_y)

    page = client.get("/mine/").content.decode()
    row = _row_of(page, told)
    when = timezone.localtime(told.occurred_at)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in row and "<b>" not in row
    assert f"Encounter at {when:%b %-d, %Y}" in row
    assert "Officer intervention referral · Y 24/7 MAT Clinic · incident 24-0077" in row
    assert ">Accepted</span>" in row  # the consent lets the status through
    quiet_row = _row_of(page, quiet)
    assert "X Recovery Clinic" in quiet_row and "incident" not in quiet_row
    assert ">Received by partner · open</span>" in quiet_row  # no consent: received and open only
    # The search by incident number shows the same row.
    assert _row_of(client.post("/mine/", {"incident_number": "24-0077"}).content.decode(), told) == row

    cast.officer_a1.language = "es"
    cast.officer_a1.save(update_fields=["language"])
    spanish = _row_of(client.get("/mine/").content.decode(), told)
    assert "Encuentro el" in spanish and "incidente 24-0077" in spanish and ">Aceptado</span>" in spanish


def test_my_deflections_does_not_grow_in_queries_with_the_number_of_referrals(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = cast.login("officer_a1")

    def queries_for_mine() -> int:
        # Once a list is on record, showing it again writes nothing (deflection.audit).
        client.get("/mine/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/mine/").status_code == 200
        return len(captured)

    def consented(first_name: str) -> None:
        # With consent to the agency, the page reads the referral and its history: no query a row.
        referral = Referral.objects.get(client__first_name=first_name)
        consent_given(referral, cast.case_manager_y)

    client.post("/log/", _form(cast, first_name="Q0", last_name="Count", confirm_new="on"))
    without_consent = queries_for_mine()
    consented("Q0")
    few = queries_for_mine()
    # The page itself says which referrals have a consent to the agency: without one, no
    # consent or history is read; with one, those referrals, their consents, status changes
    # and follow-ups.
    assert few == without_consent + 4
    for i in range(1, 12):
        client.post("/log/", _form(cast, first_name=f"Q{i}", last_name="Count", confirm_new="on"))
        if i % 2:
            consented(f"Q{i}")
    services.referral_accept(referral_id=Referral.objects.get(client__first_name="Q1").pk, actor=cast.case_manager_y)
    assert queries_for_mine() == few
    # The session, the user, the page (no count: deflection.paging), the officer's latest
    # contacts (clients seen again), the access record's last list, and for those with a
    # consent the referrals, their consents and history.
    assert few == 9


def test_logging_for_a_client_with_an_open_referral_says_so_and_links_it(cast):
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast))
    first = Referral.objects.get()
    response = client.post(
        "/log/",
        _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk)),
        follow=True,
    )
    page = response.content.decode()
    second = Referral.objects.exclude(pk=first.pk).get()
    assert second.reengagement_of == first
    assert "already has an open referral to Y 24/7 MAT Clinic" in page
    # Within consent: no consent on file, so only "received · open" is said.
    assert "Received by partner" in page


def test_the_notice_comes_after_the_confirmation_and_is_on_record_with_the_referral(cast, monkeypatch):
    from deflection import audit
    from deflection.models import AccessEvent

    client = cast.login("officer_a1")
    client.post("/log/", _form(cast))
    first = Referral.objects.get()
    again = _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk))
    page = client.post("/log/", again, follow=True).content.decode()
    assert page.index("Deflection logged.") < page.index("already has an open referral")
    assert AccessEvent.objects.filter(what="open referral notice", client_id=first.client_id).count() == 1

    # The notice's access record and the referral are written together, or neither is.
    def refused(*args, **kwargs):
        raise RuntimeError("the access record could not be written")

    monkeypatch.setattr(audit, "record_for", refused)
    with pytest.raises(RuntimeError):
        client.post("/log/", _form(cast, client=str(first.client_id), first_name="", last_name=""))
    # Nor the contact on the open referral, whose notice's access record could not be written.
    assert Referral.objects.count() == 2 and not OfficerContact.objects.exists()


def test_a_notice_that_cannot_be_put_together_still_saves_the_deflection(cast, monkeypatch, caplog):
    from referrals import police_disclosure

    client = cast.login("officer_a1")
    client.post("/log/", _form(cast))
    first = Referral.objects.get()

    def broken(*args, **kwargs):
        raise KeyError("Lorenzo Abernathy")

    monkeypatch.setattr(police_disclosure, "other_open_referral_as_police_see_it", broken)
    again = _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk))
    page = client.post("/log/", again, follow=True).content.decode()
    assert Referral.objects.count() == 2
    assert "Deflection logged." in page
    assert "This client already has an open referral. This one is linked to it as a re-engagement." in page
    assert "KeyError" in caplog.text and "Lorenzo" not in caplog.text and "Abernathy" not in caplog.text


def test_an_open_referral_behind_a_closed_later_one_is_still_mentioned(cast):
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast))
    first = Referral.objects.get()
    client.post(
        "/log/", _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk))
    )
    later = Referral.objects.exclude(pk=first.pk).get()
    services.referral_reject(referral_id=later.pk, actor=cast.case_manager_x, reason="no_capacity")
    page = client.post(
        "/log/",
        _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk)),
        follow=True,
    ).content.decode()
    third = Referral.objects.exclude(pk__in=[first.pk, later.pk]).get()
    # A re-engagement of the latest referral (closed), while the older open one is named.
    assert third.reengagement_of == later
    assert "already has an open referral to Y 24/7 MAT Clinic" in page


def test_the_open_referral_notice_shows_what_consent_lets_police_see(cast):
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast))
    first = Referral.objects.get()
    services.referral_accept(referral_id=first.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=first.pk, actor=cast.case_manager_y)
    again = _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk))
    page = client.post("/log/", again, follow=True).content.decode()
    assert "(Received by partner · open)" in page and "In treatment" not in page
    second = Referral.objects.exclude(pk=first.pk).get()
    services.referral_cancel(referral_id=second.pk, actor=cast.officer_a1, reason="entered_in_error")
    consent_given(
        first,
        cast.case_manager_y,
        scope=Consent.Scope.STATUS_OUTCOMES,
        purpose="Let the referring officer know how the referral went",
        signature_name="Dana Whitfield",
        expiry_event=Consent.ExpiryEvent.END_OF_TREATMENT,
    )
    again = _form(cast, client=str(first.client_id), first_name="", last_name="", partner=str(cast.partner_x.pk))
    page = client.post("/log/", again, follow=True).content.decode()
    assert "(In treatment)" in page


def test_none_of_these_without_javascript_opens_the_new_client_with_the_name_and_date_searched_for(cast):
    known = ClientFactory(
        agency=cast.agency_a, first_name="Marisol", last_name="Quintana", date_of_birth=date(1988, 6, 14)
    )
    officer = cast.login("officer_a1")
    search = {"submission_token": str(uuid.uuid4()), "search": "Quintanilla, Marisol 6/14/1988", "note": "kept note"}
    found = officer.post("/log/", {**search, "action": "search"}).content.decode()
    assert f'name="client" value="{known.pk}"' in found
    assert re.search(r'<button[^>]*name="action"[^>]*value="new_client"', found)
    # The officer had picked the near namesake, then taps "None of these: a new client" (a submit button).
    page = officer.post("/log/", {**search, "client": str(known.pk), "action": "new_client"}).content.decode()
    assert re.search(r'<details[^>]*id="new-client"[^>]*\bopen\b', page)
    assert re.search(r'name="first_name"[^>]*value="Marisol"', page)
    assert re.search(r'name="last_name"[^>]*value="Quintanilla"', page)
    assert re.search(r'name="date_of_birth"[^>]*value="1988-06-14"', page)
    assert f'name="client" value="{known.pk}" checked' not in page
    assert "kept note" in page and "is-invalid" not in page
    assert Referral.objects.count() == 0


def test_none_of_these_never_overwrites_what_the_officer_typed_in_the_new_client_fields(cast):
    page = (
        cast.login("officer_a1")
        .post(
            "/log/",
            {
                "submission_token": str(uuid.uuid4()),
                "search": "Marisol Quintanilla 1988-06-14",
                "last_name": "Quintanilla-Reyes",
                "action": "new_client",
            },
        )
        .content.decode()
    )
    assert re.search(r'name="first_name"[^>]*value="Marisol"', page)
    assert re.search(r'name="last_name"[^>]*value="Quintanilla-Reyes"', page)
    assert re.search(r'name="date_of_birth"[^>]*value="1988-06-14"', page)


def _agency_with_seven_partners(cast) -> dict[str, object]:
    """An agency's usual partners: X and Y of the cast, and five more, two of them open 24/7."""
    more = {
        "crisis": ServicePartnerFactory(name="Pima Valley Crisis Response Center", is_24_7=True),
        "detox": ServicePartnerFactory(name="Northside Detox Unit", is_24_7=True),
        "peer": ServicePartnerFactory(name="Second Chance Peer Team"),
        "housing": ServicePartnerFactory(name="Casa Esperanza Housing"),
        "behavioural": ServicePartnerFactory(name="Desert Willow Behavioral Health"),
    }
    for partner in more.values():
        partner.agencies.add(cast.agency_a)
    return more


def _shown_at_once_and_behind_more(page: str) -> tuple[str, str]:
    at_once, _summary, behind = page.partition('id="more-partners"')
    return at_once[at_once.index('id="div_id_partner"') :], behind[: behind.index("</details>")]


def test_the_form_shows_three_partners_24_7_first_and_the_rest_behind_more_partners(cast):
    more = _agency_with_seven_partners(cast)
    page = cast.login("officer_a1").get("/log/").content.decode()
    at_once, behind = _shown_at_once_and_behind_more(page)
    # With no deflections lately: the agency's order, 24/7 first, by name.
    assert [n for n in ("Northside", "Pima Valley", "Y 24/7") if n in at_once] == ["Northside", "Pima Valley", "Y 24/7"]
    assert at_once.index("Northside") < at_once.index("Pima Valley") < at_once.index("Y 24/7")
    for name in ("Casa Esperanza", "Desert Willow", "Second Chance", "X Recovery"):
        assert name not in at_once and name in behind
    assert re.search(r'<details[^>]*id="more-partners"[^>]*>', page).group(0).count(" open") == 0
    assert more["peer"].name in behind


def test_the_partners_an_officer_refers_to_most_come_first(cast):
    more = _agency_with_seven_partners(cast)
    client = cast.login("officer_a1")
    for partner, times in ((more["housing"], 3), (cast.partner_x, 2)):
        for _ in range(times):
            client.post("/log/", _form(cast, partner=str(partner.pk), confirm_new="on"))
    # Another officer's habits are theirs: they do not reorder this officer's form.
    other = cast.login("officer_a2")
    for _ in range(4):
        other.post("/log/", _form(cast, partner=str(more["peer"].pk), confirm_new="on"))
    # Nor do referrals withdrawn or entered in error, or those older than 90 days.
    officer = services.officer_for_user(user=cast.officer_a1)
    for _ in range(4):
        ReferralFactory(officer=officer, partner=more["peer"], status="cancelled", cancelled_by_officer=True)
        ReferralFactory(officer=officer, partner=more["behavioural"], occurred_at=timezone.now() - timedelta(days=91))
    at_once, behind = _shown_at_once_and_behind_more(client.get("/log/").content.decode())
    # Housing (3 times) and X (twice), then the first 24/7 partner; the 24/7 one shown first.
    assert "Casa Esperanza" in at_once and "X Recovery" in at_once and "Northside" in at_once
    assert at_once.index("Northside") < at_once.index("Casa Esperanza") < at_once.index("X Recovery")
    assert "Second Chance" in behind and "Pima Valley" in behind and "Y 24/7" in behind
    assert "Desert Willow" in behind


def test_partners_referred_to_as_often_come_most_recent_first(cast):
    more = _agency_with_seven_partners(cast)
    officer = services.officer_for_user(user=cast.officer_a1)
    now = timezone.now()
    used = ((more["peer"], 9), (more["housing"], 2), (cast.partner_x, 7), (more["behavioural"], 5))
    for partner, days_ago in used:
        ReferralFactory(officer=officer, partner=partner, occurred_at=now - timedelta(days=days_ago))
    at_once, behind = _shown_at_once_and_behind_more(cast.login("officer_a1").get("/log/").content.decode())
    # Once each: the latest three, the latest first; the one before them behind "more".
    assert at_once.index("Casa Esperanza") < at_once.index("Desert Willow") < at_once.index("X Recovery")
    assert "Second Chance" in behind


@pytest.mark.parametrize("problem", ["picked", "error"])
def test_more_partners_opens_when_the_partner_picked_or_an_error_is_inside(cast, problem):
    more = _agency_with_seven_partners(cast)
    data = _form(cast, partner=str(more["peer"].pk), officer_minutes="-5")
    if problem == "error":
        data = _form(cast, partner=None)
    page = cast.login("officer_a1").post("/log/", data).content.decode()
    assert re.search(r'<details[^>]*id="more-partners"[^>]*\bopen\b', page)
    if problem == "picked":
        assert re.search(rf'value="{more["peer"].pk}" checked', page)


def test_the_form_costs_one_query_more_to_show_and_none_more_to_save(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    known = ClientFactory(agency=cast.agency_a)
    client = cast.login("officer_a1")
    client.get("/log/")

    def queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    two_partners = queries(lambda: client.get("/log/"))
    _agency_with_seven_partners(cast)
    # The agency's partners and deciding offices are read again once they change, then kept
    # (referrals.log_choices).
    assert queries(lambda: client.get("/log/")) == two_partners + 3
    seven_partners = queries(lambda: client.get("/log/"))
    assert seven_partners == two_partners + 1  # the officer's partners of the last 90 days
    save = _form(cast, client=str(known.pk), first_name="", last_name="")
    client.post("/log/", save)  # the first deflection of the agency: milestones and all
    again = queries(lambda: client.post("/log/", {**save, "submission_token": str(uuid.uuid4())}))
    # The same partner again while the first is open: a contact, which locks the referral it joins.
    assert again <= 11


def test_a_namesake_born_on_another_day_is_not_taken_for_the_same_person(cast):
    ClientFactory(agency=cast.agency_a, first_name="Lorenzo", last_name="Abernathy", date_of_birth=date(1997, 3, 12))
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast, date_of_birth="1991-04-17"))
    assert Referral.objects.count() == 1
    # Born 1991-04-17 and typed with day and month swapped (17/4 cannot be; 4/1 for 1/4 can).
    ClientFactory(agency=cast.agency_a, first_name="Ines", last_name="Valderrama", date_of_birth=date(1985, 1, 4))
    page = client.post("/log/", _form(cast, first_name="Ines", last_name="Valderrama", date_of_birth="1985-04-01"))
    assert "may already be known" in page.content.decode()
    assert Referral.objects.count() == 1


def test_a_search_without_javascript_that_finds_nobody_fills_the_new_client(cast):
    page = (
        cast.login("officer_a1")
        .post(
            "/log/",
            _form(
                cast, action="search", search="Tobias Okonkwo 3/4/1990", first_name="", last_name="", date_of_birth=""
            ),
        )
        .content.decode()
    )
    assert "No client found" in page
    assert re.search(r'name="first_name"[^>]*value="Tobias"', page)
    assert re.search(r'name="last_name"[^>]*value="Okonkwo"', page)
    assert re.search(r'name="date_of_birth"[^>]*value="1990-03-04"', page)


def test_a_picked_client_puts_the_new_client_fields_aside_unless_one_of_them_has_an_error(cast):
    known = ClientFactory(agency=cast.agency_a, first_name="Tobias", last_name="Fenwick")
    client = cast.login("officer_a1")
    picked = _form(cast, client=str(known.pk), first_name="", last_name="", date_of_birth="", pathway=None)
    page = client.post("/log/", picked).content.decode()
    assert re.search(r'<details[^>]*id="new-client"[^>]*\bhidden\b', page)
    page = client.post("/log/", {**picked, "date_of_birth": "1890-01-01"}).content.decode()
    assert re.search(r'<details[^>]*id="new-client"[^>]*\bopen\b', page)
    assert not re.search(r'<details[^>]*id="new-client"[^>]*\bhidden\b', page)


def test_my_deflections_pages_go_newer_and_older_without_counting_the_list(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    for hour in range(26):
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=timezone.now() - timedelta(hours=hour))
    client = cast.login("officer_a1")
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/mine/").content.decode()
    assert not any("COUNT(" in q["sql"] and "referrals_referral" in q["sql"] for q in captured.captured_queries)
    assert first.count('<li class="list-group-item"><a ') == 25
    assert "Page 1" in first and 'href="?page=2"' in first and "Newer" not in first
    second = client.get("/mine/?page=2").content.decode()
    assert second.count('<li class="list-group-item"><a ') == 1
    assert 'href="?page=1"' in second and "Older" not in second
    # A page past the end is the last; a number no link gives, the first.
    past = client.get("/mine/?page=3").content.decode()
    assert past.count('<li class="list-group-item"><a ') == 1 and "Page 2" in past
    for asked in ("0", "-1", "x", "9" * 40):
        assert client.get(f"/mine/?page={asked}").content.decode().count('<li class="list-group-item"><a ') == 25


def test_my_deflections_rows_say_what_the_officer_s_view_of_each_referral_says(cast):
    """police_disclosure.listed_views reads a row without consent from its own values: the
    same view officer_views gives of the referral, whatever its history and consents."""
    from referrals import police_disclosure, selectors

    officer = OfficerFactory(user=cast.officer_a1)
    made = [ReferralFactory(officer=officer, partner=cast.partner_y) for _ in range(5)]
    requested, accepted, consented, revoked, closed = made
    for referral in made[1:]:
        services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    consent_given(consented, cast.case_manager_y)
    services.referral_record_intake(referral_id=consented.pk, actor=cast.case_manager_y)
    gone = consent_given(revoked, cast.case_manager_y, scope="status_only")
    services.consent_revoke(consent_id=gone.pk, actor=cast.case_manager_y, note="Asked in person")
    services.referral_hold(referral_id=revoked.pk, actor=cast.case_manager_y)
    services.referral_fail(referral_id=closed.pk, actor=cast.case_manager_y, reason="disengaged")
    rows = selectors.referral_rows_made_by(user=cast.officer_a1)[0:25]
    listed = {row.pk: view for row, view in police_disclosure.listed_views(rows)}
    read = {r.pk: view for r, view in police_disclosure.officer_views(Referral.objects.filter(pk__in=listed))}
    assert listed == read
    labels = {view.label for view in listed.values()}
    assert labels == {"Received by partner · open", "Accepted", "In treatment", "Closed"}


# The form as first offered keeps its fields drawn (log.html's {% cache %}, referrals.forms
# LogDeflectionForm.first_offered_key): shared by the agency's officers, so it must be exactly
# what a fresh drawing gives, follow the agency's settings, and never hold what anyone typed.


def _fields_of(page: str) -> str:
    """The log form without what differs at every drawing (the tokens) and the partners."""
    start = page.index('<form method="post" action="/log/"')
    form = page[start : page.index("</form>", start)]
    form = re.sub(r'name="(csrfmiddlewaretoken|submission_token)" value="[^"]*"', "", form)
    return re.sub(r'value="[0-9a-f-]{36}"', "", form)


def test_the_form_kept_drawn_is_the_form_drawn_fresh(cast):
    from django.core.cache import caches
    from django.core.cache.utils import make_template_fragment_key

    JusticeAgencyFactory(agencies=[cast.agency_a])
    caches["default"].clear()
    own = _fields_of(cast.login("officer_a2").get("/log/").content.decode())  # drawn for officer A2
    caches["default"].clear()
    first = cast.login("officer_a1").get("/log/")  # drawn for officer A1, and kept
    key = make_template_fragment_key("log_what_happened", [first.context["form"].first_offered_key])
    assert caches["default"].get(key)
    kept = _fields_of(cast.login("officer_a2").get("/log/").content.decode())  # A1's, read by A2
    assert kept == own
    assert 'name="first_name"' in kept and 'name="charge_decider"' in kept and 'name="substances"' in kept
    # Nothing of the officer it was first drawn for is in what is kept.
    for name in ("log_new_client", "log_pathway", "log_what_happened"):
        fragment = caches["default"].get(make_template_fragment_key(name, [first.context["form"].first_offered_key]))
        for own_value in (cast.officer_a1.username, cast.officer_a1.last_name, cast.officer_a1.badge_number):
            assert own_value not in fragment, name


def test_the_form_kept_drawn_follows_the_agency_its_language_and_its_deciders(cast):
    client = cast.login("officer_a1")
    assert 'name="officer_minutes" value="25"' in client.get("/log/").content.decode()
    cast.agency_a.default_deflection_minutes = 40
    cast.agency_a.save()
    assert 'name="officer_minutes" value="40"' in client.get("/log/").content.decode()
    JusticeAgencyFactory(name="Pima Valley Justice Court", agencies=[cast.agency_a])
    assert "Pima Valley Justice Court" in client.get("/log/").content.decode()
    cast.officer_a1.language = "es"
    cast.officer_a1.save(update_fields=["language"])
    spanish = cast.login("officer_a1").get("/log/").content.decode()
    assert "Qué pasó" in spanish and "What happened" not in spanish


def test_what_an_officer_typed_is_never_kept_for_another(cast):
    typed = cast.login("officer_a1").post("/log/", {"action": "search", "search": "Wendeline Okonkwo-Barros"})
    assert 'value="Okonkwo-Barros"' in typed.content.decode()  # the new client's fields take the name
    for officer in ("officer_a2", "officer_a1"):
        page = cast.login(officer).get("/log/").content.decode()
        assert "Okonkwo" not in page and "Wendeline" not in page
    # Only the form as first offered is kept: one holding what was typed, even with the
    # agency's defaults in it, is drawn afresh.
    from referrals.forms import LogDeflectionForm

    offered = LogDeflectionForm.offered_to(cast.officer_a1)
    assert offered.first_offered_key
    with_typed = {**offered.initial, "first_name": "Wendeline", "last_name": "Okonkwo-Barros"}
    assert LogDeflectionForm(initial=with_typed, user=cast.officer_a1).first_offered_key == ""
    # Even one marked as first offered, by mistake, holding what was typed.
    mistaken = LogDeflectionForm(initial=with_typed, user=cast.officer_a1, first_offered=True)
    assert mistaken.first_offered_key == ""
