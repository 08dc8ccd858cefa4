"""Partner relationships: the relationship log with its next steps, the engagement tier's
history, the next-step reminder and the partner's page (DESIGN.md: PartnerContact)."""

from __future__ import annotations

import ast
import zoneinfo
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from deflection.celery import app
from deflection.schedules import BEAT_SCHEDULE
from partners import services
from partners.models import PartnerContact, PartnerTierChange, ServicePartner
from partners.reminders import partner_next_steps_remind
from partners.selectors import partner_today
from partners.tasks import send_partner_next_step_reminders
from reports import metrics
from tests.concurrency import SLOW_BACKEND, SlowBackend, twice_at_once
from tests.factories.partners import PartnerContactFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
Tier = ServicePartner.Tier


def _contact(cast, who="program_admin", **fields) -> PartnerContact:
    today = partner_today(cast.partner_x)
    data = {"contact_on": today, "kind": PartnerContact.Kind.MEETING, "what": "Talked about weekend intake.", **fields}
    return services.partner_contact_create(partner_id=cast.partner_x.pk, actor=getattr(cast, who), **data)


def _relationship(partner: ServicePartner) -> tuple[str, int, int, int]:
    """The partner's tier, and how many contacts, next steps done and tier changes it has."""
    partner.refresh_from_db()
    done = partner.contacts.filter(next_step_done_at__isnull=False).count()
    return partner.engagement_tier, partner.contacts.count(), done, partner.tier_changes.count()


# -- the relationship log -----------------------------------------------------------------


def test_a_program_admin_who_is_not_a_superuser_records_a_contact_with_a_next_step(cast):
    today = partner_today(cast.partner_x)
    contact = _contact(
        cast,
        kind=PartnerContact.Kind.AGREEMENT,
        met_with="Dr. Ortiz, clinic director",
        next_step="Send the signed MOU to the units",
        next_step_due=today + timedelta(days=7),
    )
    contact.refresh_from_db()
    assert contact.recorded_by == cast.program_admin
    assert (contact.kind, contact.met_with) == ("agreement", "Dr. Ortiz, clinic director")
    assert contact.next_step_open and contact.next_step_due == today + timedelta(days=7)


@pytest.mark.parametrize("tier", [Tier.WAIT_AND_SEE, Tier.BOWED_OUT])
def test_partners_waiting_to_see_or_bowed_out_keep_a_relationship_log_too(cast, tier):
    ServicePartner.objects.filter(pk=cast.partner_x.pk).update(engagement_tier=tier)
    _contact(cast, kind=PartnerContact.Kind.CALL, what="Checked in; they are still watching the numbers.")
    assert cast.partner_x.contacts.count() == 1


def test_a_due_date_without_a_next_step_is_refused(cast):
    with pytest.raises(ValidationError) as refused:
        _contact(cast, next_step="", next_step_due=partner_today(cast.partner_x))
    assert "next_step" in refused.value.message_dict
    assert not PartnerContact.objects.exists()


def test_a_contact_dated_after_the_partners_today_is_refused(cast):
    with pytest.raises(ValidationError) as refused:
        _contact(cast, contact_on=partner_today(cast.partner_x) + timedelta(days=1))
    assert "contact_on" in refused.value.message_dict


def test_a_next_step_due_before_the_contact_is_refused_and_the_page_says_so(cast):
    day = partner_today(cast.partner_x) - timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        _contact(cast, contact_on=day, next_step="Send the MOU", next_step_due=day - timedelta(days=1))
    assert "next_step_due" in refused.value.message_dict
    # Due on the day of the contact, or after it (even already past: a contact recorded late).
    _contact(cast, contact_on=day, next_step="Send the MOU", next_step_due=day)
    page = cast.login("program_admin").post(
        f"/partners/{cast.partner_x.pk}/contacts/new/",
        {
            "contact_on": day.isoformat(),
            "kind": PartnerContact.Kind.MEETING,
            "what": "Met about intake.",
            "next_step": "Call back",
            "next_step_due": (day - timedelta(days=5)).isoformat(),
        },
    )
    assert page.status_code == 200 and "A next step falls due on or after the contact" in page.content.decode()
    assert PartnerContact.objects.count() == 1


def test_a_next_step_is_marked_done_once(cast):
    contact = _contact(cast, next_step="Visit the new detox wing")
    services.partner_next_step_done(contact_id=contact.pk, actor=cast.admin)
    contact.refresh_from_db()
    assert contact.next_step_done_at is not None and contact.next_step_done_by == cast.admin
    with pytest.raises(ValidationError, match="already marked done"):
        services.partner_next_step_done(contact_id=contact.pk, actor=cast.program_admin)
    contact.refresh_from_db()
    assert contact.next_step_done_by == cast.admin


def test_a_contact_without_a_next_step_has_nothing_to_mark_done(cast):
    contact = _contact(cast)
    with pytest.raises(ValidationError):
        services.partner_next_step_done(contact_id=contact.pk, actor=cast.admin)
    contact.refresh_from_db()
    assert contact.next_step_done_at is None


@pytest.mark.parametrize("who", ["command_a", "officer_a1", "supervisor_a", "case_manager_x"])
def test_only_program_administration_writes_the_relationship(cast, who):
    contact = PartnerContactFactory(partner=cast.partner_x, next_step="Call back")
    before = _relationship(cast.partner_x)
    actor = getattr(cast, who)
    with pytest.raises(ValidationError):
        _contact(cast, who=who)
    with pytest.raises(ValidationError):
        services.partner_next_step_done(contact_id=contact.pk, actor=actor)
    with pytest.raises(ValidationError):
        services.partner_tier_change(partner_id=cast.partner_x.pk, actor=actor, tier=Tier.BOWED_OUT, reason="No.")
    assert _relationship(cast.partner_x) == before


# -- the tier history ---------------------------------------------------------------------


def test_a_tier_change_records_who_when_and_why_newest_first(cast):
    first = services.partner_tier_change(
        partner_id=cast.partner_x.pk, actor=cast.admin, tier=Tier.WAIT_AND_SEE, reason="Wants a quarter's numbers."
    )
    second = services.partner_tier_change(
        partner_id=cast.partner_x.pk, actor=cast.program_admin, tier=Tier.BOWED_OUT, reason="Lost its funding."
    )
    cast.partner_x.refresh_from_db()
    assert cast.partner_x.engagement_tier == Tier.BOWED_OUT
    history = list(cast.partner_x.tier_changes.all())
    assert history == [second, first]
    assert [(c.from_tier, c.to_tier, c.changed_by, c.reason) for c in history] == [
        (Tier.WAIT_AND_SEE, Tier.BOWED_OUT, cast.program_admin, "Lost its funding."),
        (Tier.COMMITTED, Tier.WAIT_AND_SEE, cast.admin, "Wants a quarter's numbers."),
    ]
    assert timezone.now() - first.changed_at < timedelta(minutes=1)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_tier_change_without_a_reason_is_refused_and_changes_nothing(cast, reason):
    with pytest.raises(ValidationError) as refused:
        services.partner_tier_change(partner_id=cast.partner_x.pk, actor=cast.admin, tier=Tier.BOWED_OUT, reason=reason)
    assert "reason" in refused.value.message_dict
    assert _relationship(cast.partner_x)[0] == Tier.COMMITTED
    assert not PartnerTierChange.objects.exists()


def test_a_tier_change_to_the_tier_it_has_is_refused(cast):
    with pytest.raises(ValidationError) as refused:
        services.partner_tier_change(partner_id=cast.partner_x.pk, actor=cast.admin, tier=Tier.COMMITTED, reason="x")
    assert "tier" in refused.value.message_dict
    assert not PartnerTierChange.objects.exists()


def test_the_admin_site_cannot_change_the_tier_around_the_history(cast):
    client = cast.login("admin")
    url = f"/admin/partners/servicepartner/{cast.partner_x.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="engagement_tier"' not in page
    form = {
        "name": cast.partner_x.name,
        "kind": cast.partner_x.kind,
        "capacity_status": cast.partner_x.capacity_status,
        "engagement_tier": Tier.BOWED_OUT,
        "agencies": [cast.agency_a.pk],
        "is_active": "on",
        "tier_changes-TOTAL_FORMS": "0",
        "tier_changes-INITIAL_FORMS": "0",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "openings-TOTAL_FORMS": "0",
        "openings-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302  # saved, the rest of the form taken
    assert _relationship(cast.partner_x)[0] == Tier.COMMITTED


# -- the reminder -------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone))


def _due_on(cast, day: date) -> PartnerContact:
    return PartnerContactFactory(
        partner=cast.partner_x,
        contact_on=day - timedelta(days=10),
        next_step="Ask about bridge beds",
        next_step_due=day,
    )


def test_a_next_step_is_reminded_once_on_the_morning_it_is_due_in_the_agencys_time_zone(cast):
    due = date(2027, 3, 10)
    contact = _due_on(cast, due)
    # 06:30 UTC on the due date is still the evening before in Phoenix (UTC-7).
    assert partner_next_steps_remind(now=datetime.combine(due, time(6, 30), tzinfo=zoneinfo.ZoneInfo("UTC"))) == 0
    assert partner_next_steps_remind(now=_local(due, 6, 59, "America/Phoenix")) == 0
    assert mail.outbox == []
    assert partner_next_steps_remind(now=_local(due, 7, 0, "America/Phoenix")) == 1
    assert partner_next_steps_remind(now=_local(due, 7, 15, "America/Phoenix")) == 0
    assert partner_next_steps_remind(now=_local(due + timedelta(days=1), 9, 0, "America/Phoenix")) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([cast.admin.email, cast.program_admin.email])
    assert cast.partner_x.name in message.subject
    assert "Mar 10, 2027" in message.body and reverse("partners:list") in message.body
    contact.refresh_from_db()
    assert contact.next_step_reminded_at == _local(due, 7, 0, "America/Phoenix")


def test_a_partner_of_an_agency_ahead_of_utc_is_reminded_on_its_own_morning(cast):
    cast.agency_a.timezone = "Pacific/Auckland"
    cast.agency_a.save()
    due = date(2027, 3, 10)
    _due_on(cast, due)
    # 07:30 in Auckland (UTC+13) is 18:30 UTC the day before: the UTC date is not the due date yet.
    now = _local(due, 7, 30, "Pacific/Auckland")
    assert now.astimezone(zoneinfo.ZoneInfo("UTC")).date() == due - timedelta(days=1)
    assert partner_next_steps_remind(now=now - timedelta(hours=1)) == 0
    assert partner_next_steps_remind(now=now) == 1


def test_done_next_steps_and_contacts_without_one_are_not_reminded(cast):
    due = partner_today(cast.partner_x) - timedelta(days=2)
    done = _due_on(cast, due)
    services.partner_next_step_done(contact_id=done.pk, actor=cast.admin)
    PartnerContactFactory(partner=cast.partner_x)
    assert partner_next_steps_remind() == 0
    assert mail.outbox == []


def test_an_overdue_next_step_is_reminded_at_the_next_sweep_and_says_overdue(cast):
    _due_on(cast, partner_today(cast.partner_x) - timedelta(days=3))
    assert partner_next_steps_remind() == 1
    assert "(overdue)" in mail.outbox[0].body


def test_the_reminder_carries_the_partner_and_dates_and_nothing_that_was_said(cast):
    contact = _due_on(cast, partner_today(cast.partner_x))
    PartnerContact.objects.filter(pk=contact.pk).update(what="Spoke about Maria Quintero", met_with="Dr. Ortiz")
    partner_next_steps_remind(now=timezone.now() + timedelta(days=1))
    message = mail.outbox[0]
    for said in ("Maria", "Quintero", "Ortiz", "bridge beds"):
        assert said not in message.subject and said not in message.body


def test_the_sweep_is_scheduled_and_runs_as_a_task(cast):
    entry = BEAT_SCHEDULE["partner-next-steps"]
    assert entry["task"] in app.tasks
    _due_on(cast, partner_today(cast.partner_x) - timedelta(days=1))
    send_partner_next_step_reminders.delay()  # eager in tests
    assert len(mail.outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_one_reminder(cast, settings):
    settings.EMAIL_BACKEND = SLOW_BACKEND
    _due_on(cast, partner_today(cast.partner_x) - timedelta(days=1))
    assert twice_at_once(partner_next_steps_remind) == [0, 1]
    assert len(SlowBackend.sent) == 1


# -- the pages ----------------------------------------------------------------------------


def _page(cast, who: str, partner: ServicePartner | None = None) -> str:
    partner = partner or cast.partner_y
    response = cast.login(who).get(reverse("reports:partner", kwargs={"partner_id": partner.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_the_partner_page_shows_details_scorecard_log_and_history_with_the_forms(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    # The last month counted: the scorecard covers the months the dashboard counts.
    counted = metrics.records_counted_until(timezone.now(), zoneinfo.ZoneInfo(cast.agency_a.timezone))
    for i in range(12):
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=counted - timedelta(days=5, hours=i))
    PartnerContactFactory(partner=cast.partner_y, what="Agreed on a warm handoff line.", next_step="Test the line")
    services.partner_tier_change(
        partner_id=cast.partner_y.pk, actor=cast.admin, tier=Tier.WAIT_AND_SEE, reason="Short of nurses."
    )
    page = _page(cast, "program_admin")
    assert cast.partner_y.name in page
    assert "Agreed on a warm handoff line." in page and "Test the line" in page
    assert "Short of nurses." in page
    # The scorecard: one row per agency served, as the dashboard counts it.
    scorecard = page[page.index('id="scorecard"') : page.index("</table>", page.index('id="scorecard"'))]
    assert escape(cast.agency_a.name) in scorecard and escape(cast.agency_b.name) in scorecard
    assert ">12<" in scorecard
    for form in ("partners:contact_add", "partners:tier_change"):
        assert reverse(form, kwargs={"partner_id": cast.partner_y.pk}) in page
    assert 'action="/partners/contacts/' in page  # mark done


def test_command_staff_read_the_page_without_forms_and_only_their_agencys_scorecard(cast):
    PartnerContactFactory(partner=cast.partner_y, next_step="Test the line")
    page = _page(cast, "command_a")
    assert "Test the line" in page
    assert '<form method="post" action="/partners/' not in page and 'action="/partners/' not in page
    scorecard = page[page.index('id="scorecard"') : page.index("</table>", page.index('id="scorecard"'))]
    assert escape(cast.agency_a.name) in scorecard and escape(cast.agency_b.name) not in scorecard


def test_command_staff_do_not_see_a_partner_that_does_not_serve_their_agency(cast):
    elsewhere = ServicePartner.objects.create(name="Z Clinic", kind=ServicePartner.Kind.DETOX)
    elsewhere.agencies.add(cast.agency_b)
    url = reverse("reports:partner", kwargs={"partner_id": elsewhere.pk})
    assert cast.login("command_a").get(url).status_code == 404
    assert cast.login("program_admin").get(url).status_code == 200
    assert elsewhere.name not in cast.login("command_a").get(reverse("partners:list")).content.decode()


@pytest.mark.parametrize("who", ["command_a", "officer_a1", "supervisor_a", "case_manager_y"])
def test_a_post_from_anyone_but_program_administration_is_not_found_and_changes_nothing(cast, who):
    contact = PartnerContactFactory(partner=cast.partner_y, next_step="Call back")
    before = _relationship(cast.partner_y)
    client = cast.login(who)
    today = partner_today(cast.partner_y).isoformat()
    posts = [
        (
            reverse("partners:contact_add", kwargs={"partner_id": cast.partner_y.pk}),
            {"contact_on": today, "kind": "call", "what": "x"},
        ),
        (
            reverse("partners:tier_change", kwargs={"partner_id": cast.partner_y.pk}),
            {"tier": "bowed_out", "reason": "x"},
        ),
        (reverse("partners:next_step_done", kwargs={"contact_id": contact.pk}), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert _relationship(cast.partner_y) == before


def test_a_tier_change_posted_without_a_reason_shows_the_error_beside_the_field(cast):
    url = reverse("partners:tier_change", kwargs={"partner_id": cast.partner_x.pk})
    response = cast.login("program_admin").post(url, {"tier": "bowed_out", "reason": " "})
    assert response.status_code == 200
    page = response.content.decode()
    reason = page[page.index('id="div_id_reason"') :]
    assert 'aria-invalid="true"' in reason and 'aria-describedby="id_reason_helptext id_reason_error"' in reason
    assert 'id="id_reason_error"' in reason
    assert _relationship(cast.partner_x)[0] == Tier.COMMITTED


def test_the_forms_of_the_page_make_their_change_and_return_to_it(cast):
    client = cast.login("program_admin")
    page_url = reverse("reports:partner", kwargs={"partner_id": cast.partner_x.pk})
    today = partner_today(cast.partner_x)
    response = client.post(
        reverse("partners:contact_add", kwargs={"partner_id": cast.partner_x.pk}),
        {
            "contact_on": today.isoformat(),
            "kind": "visit",
            "met_with": "Intake lead",
            "what": "Toured the new beds.",
            "next_step": "Bring the sergeants on a tour",
            "next_step_due": (today + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url
    contact = cast.partner_x.contacts.get()
    response = client.post(reverse("partners:next_step_done", kwargs={"contact_id": contact.pk}))
    assert response["Location"] == page_url
    response = client.post(
        reverse("partners:tier_change", kwargs={"partner_id": cast.partner_x.pk}),
        {"tier": "wait_and_see", "reason": "Beds are full until spring."},
    )
    assert response["Location"] == page_url
    assert _relationship(cast.partner_x) == ("wait_and_see", 1, 1, 1)


def test_the_list_puts_overdue_next_steps_first(cast):
    today = partner_today(cast.partner_x)
    PartnerContactFactory(partner=cast.partner_y, next_step="Soon", next_step_due=today + timedelta(days=2))
    PartnerContactFactory(partner=cast.partner_x, next_step="Late", next_step_due=today - timedelta(days=1))
    response = cast.login("program_admin").get(reverse("partners:list"))
    standings = response.context["standings"]
    assert [(s.partner, s.overdue) for s in standings] == [(cast.partner_x, True), (cast.partner_y, False)]
    assert "overdue" in response.content.decode()


def test_reading_the_pages_writes_nothing(cast):
    PartnerContactFactory(partner=cast.partner_y, next_step="Late", next_step_due=date(2020, 1, 1))
    client = cast.login("program_admin")
    client.get(reverse("partners:list"))  # the session's first page notes its time zone
    for url in (
        reverse("partners:list"),
        reverse("reports:partner", kwargs={"partner_id": cast.partner_y.pk}),
        reverse("partners:contact_add", kwargs={"partner_id": cast.partner_y.pk}),
        reverse("partners:tier_change", kwargs={"partner_id": cast.partner_y.pk}),
    ):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        writes = [
            q["sql"][:80]
            for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" not in q["sql"]
        ]
        assert writes == [], url


def test_the_dashboard_scorecard_links_to_the_partner_pages_the_user_may_open(cast):
    link = reverse("reports:partner", kwargs={"partner_id": cast.partner_y.pk})
    assert link in cast.login("command_a").get(reverse("reports:dashboard")).content.decode()
    assert link in cast.login("program_admin").get(reverse("reports:dashboard")).content.decode()
    assert link not in cast.login("supervisor_a").get(reverse("reports:dashboard")).content.decode()


# -- the layering -------------------------------------------------------------------------


def test_partners_never_imports_reports():
    """DESIGN.md: nothing imports reports; the partner page's scorecard is drawn there."""
    for path in (Path(__file__).resolve().parents[1] / "partners").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n == "reports" or n.startswith("reports.") for n in names), path


# -- the relationship notes of before -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_relationship_notes_of_before_become_contacts_in_the_log():
    from django.db.migrations.executor import MigrationExecutor

    before = [("partners", "0002_partner_contacts_and_tier_history")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    partner = old.get_model("partners", "ServicePartner").objects.create(name="Old Clinic", kind="detox")
    author = old.get_model("deflection", "User").objects.create(username="old_admin", role="program_admin")
    note = old.get_model("partners", "RelationshipNote").objects.create(
        partner=partner, author=author, tier="committed", note="Signed the MOU."
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward to every app's latest, not only partners': going back to partners 0002 also
    # took back the migrations of other apps that depend on it, which the tests after
    # this one need.
    executor.migrate(executor.loader.graph.leaf_nodes())
    contact = PartnerContact.objects.get(partner_id=partner.pk)
    assert (contact.what, contact.kind, contact.recorded_by_id) == ("Signed the MOU.", "other", author.pk)
    assert contact.contact_on == timezone.localdate(note.created_at)
    # The partner of before has a directory id of its own (partners 0005).
    assert ServicePartner.objects.filter(pk=partner.pk, hsds_id__isnull=False).exists()
