from __future__ import annotations

import zoneinfo
from datetime import timedelta

import factory
from django.utils import timezone

from referrals.models import CaseEvent, Client, HeldCharge, JusticeAgency, Officer, Pathway, Referral
from tests.factories.core import AgencyFactory, UserFactory
from tests.factories.partners import ServicePartnerFactory


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory)
    agency = factory.LazyAttribute(lambda o: o.user.agency)
    unit = factory.LazyAttribute(lambda o: o.user.unit)
    badge_number = factory.LazyAttribute(lambda o: o.user.badge_number)
    display_name = factory.LazyAttribute(lambda o: o.user.get_full_name())


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    agency = factory.SubFactory(AgencyFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    search_name = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        obj.refresh_search_name()
        obj.save()
        return obj


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral as referral_create leaves it: status requested, with its CaseEvent."""

    class Meta:
        model = Referral
        skip_postgeneration_save = True

    officer = factory.SubFactory(OfficerFactory)
    agency = factory.LazyAttribute(lambda r: r.officer.agency)
    client = factory.SubFactory(ClientFactory, agency=factory.SelfAttribute("..agency"))
    partner = factory.SubFactory(ServicePartnerFactory)
    pathway = Pathway.OFFICER_PREVENTION
    occurred_at = factory.LazyFunction(timezone.now)
    officer_minutes = 30
    created_by = factory.LazyAttribute(lambda r: r.officer.user)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As if the partner had recorded it all before the referral's count day: the figures
        # count what the referral says, unless a test sets the counted fields apart.
        for name in Referral.COUNTED:
            if name in kwargs:
                kwargs.setdefault(f"counted_{name}", kwargs[name])
        return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def event(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            CaseEvent.objects.create(
                referral=obj, actor=obj.created_by, kind=CaseEvent.Kind.CREATED, to_status=obj.status
            )


def consent_given(referral: Referral, actor, **overrides):
    """The client's consent, captured through the service as a case manager does: to the
    referring agency, status and outcomes, until the end of treatment (override any field)."""
    from referrals import services

    fields = {
        "scope": "status_outcomes",
        "to_referring_agency": True,
        "purpose": "Let the referring officer know how the referral went",
        "signature_name": "Client Signature",
        "signed_on": timezone.localdate(),
        "expiry_event": "end_of_treatment",
        **overrides,
    }
    return services.consent_capture(referral_id=referral.pk, actor=actor, **fields)


def consent_on_record(referral: Referral, *, scope: str, discloser, captured_by, **overrides):
    """A consent to the referral's agency written straight to the database (not through the
    service, which takes none on a closed referral): for a test that needs one on a referral
    in any state. Until the end of treatment, signed on the last day the form allows."""
    from referrals.models import Consent
    from referrals.selectors import consent_signing_window

    fields = {
        "client": referral.client,
        "referral": referral,
        "discloser": discloser,
        "scope": scope,
        "recipient_agency_id": referral.agency_id,
        "purpose": "Outcomes to the referring agency",
        "revocation_terms": "May be revoked at any time.",
        "expiry_event": Consent.ExpiryEvent.END_OF_TREATMENT,
        "signature_name": "Client Signature",
        "signed_on": consent_signing_window(referral=referral)[1],
        "captured_by": captured_by,
        **overrides,
    }
    return Consent.objects.create(**fields)


def accepted_referral(cast, **fields) -> Referral:
    """Officer A1's deflection to partner Y, accepted by partner Y's case manager (override any factory field)."""
    from referrals import services

    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, **fields)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    return referral


def intervention_charge(cast, decider: JusticeAgency, *, days_ago: int = 0, **charge) -> HeldCharge:
    """Officer A1's intervention deflection to partner Y, accepted, with a charge held that
    `decider` decides (override any field of the charge)."""
    from datetime import datetime

    occurred_at = datetime.now(zoneinfo.ZoneInfo("UTC")) - timedelta(days=days_ago)
    referral = accepted_referral(cast, pathway=Pathway.OFFICER_INTERVENTION, occurred_at=occurred_at)
    return held_charge_on(referral, decider, **charge)


def intake_recorded(charge: HeldCharge, cast, at=None) -> None:
    """Partner Y's case manager records intake on the charge's referral (now, or `at`)."""
    from referrals import services

    services.referral_record_intake(referral_id=charge.referral_id, actor=cast.case_manager_y, intake_at=at)


def another_deflection_form(referral: Referral, partner, **overrides) -> dict:
    """The log form as an officer sends it for another deflection of the referral's client (override any field)."""
    import uuid

    return {
        "submission_token": str(uuid.uuid4()),
        "action": "save",
        "client": str(referral.client_id),
        "pathway": "officer_prevention",
        "partner": str(partner.pk),
        "officer_minutes": "10",
        "preferred_language": "en",
        **overrides,
    }


def officers_of_every_unit(cast):
    """Officer A1 (MHST), an officer of a new unit "Patrol" and one in no unit: the units a
    breakdown by unit tells apart. Returns the Patrol unit and the three officers."""
    from tests.factories.core import UnitFactory

    patrol = UnitFactory(agency=cast.agency_a, name="Patrol")
    return patrol, [
        OfficerFactory(user=cast.officer_a1),
        OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=patrol)),
        OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=None)),
    ]


class JusticeAgencyFactory(factory.django.DjangoModelFactory):
    """A prosecutor's office deciding the charges of the given agencies (`agencies=[...]`)."""

    class Meta:
        model = JusticeAgency
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"County {n} Attorney's Office")
    kind = JusticeAgency.Kind.PROSECUTOR
    contact_name = "Diversion desk"
    contact_email = factory.Sequence(lambda n: f"diversion{n}@attorney.example.org")
    postal_address = "1 Court Plaza, Suite 4, Pima Valley, AZ 85701"

    @factory.post_generation
    def agencies(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.agencies.set(extracted)


def held_charge_on(referral: Referral, decider: JusticeAgency, **fields) -> HeldCharge:
    """A charge held on the referral as the log form records it (through the service), on the
    officer intervention pathway: reach intake within 30 days unless told otherwise."""
    from referrals.services.charges import HeldChargeData, held_charge_record

    day = timezone.localtime(referral.occurred_at, zoneinfo.ZoneInfo(referral.agency.timezone)).date()
    data = {
        "description": "Possession of drug paraphernalia",
        "statute": "ARS 13-3415",
        "case_number": f"PV-{referral.pk:06d}",
        "deadline": day + timedelta(days=30),
        "decider": decider,
        **fields,
    }
    return held_charge_record(
        referral=referral,
        pathway=Pathway.OFFICER_INTERVENTION,
        data=HeldChargeData(**data),
        actor=referral.created_by,
        now=timezone.now(),
    )


def criminal_justice_consent_given(referral: Referral, actor, **overrides):
    """The client's criminal-justice consent for the referral's held charge, through the service."""
    from referrals import services

    fields = {
        "purpose": "Let the county attorney know whether I entered treatment",
        "signature_name": "Client Signature",
        "signed_on": timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(referral.agency.timezone)).date(),
        "expires_on": timezone.localdate() + timedelta(days=120),
        **overrides,
    }
    return services.consent_capture_for_charge(referral_id=referral.pk, actor=actor, **fields)


def sent_from_the_phone(partner, **overrides) -> dict:
    """A deflection as offline.js sends it once the signal returns: the log form's fields for a
    new client, under the token it was saved with on the phone (override any field)."""
    import uuid

    return {
        "submission_token": str(uuid.uuid4()),
        "first_name": "Teodoro",
        "last_name": "Villalobos",
        "date_of_birth": "1975-09-30",
        "preferred_language": "es",
        "pathway": "active_outreach",
        "partner": str(partner.pk),
        "officer_minutes": "20",
        **overrides,
    }


def flagged_deflection(cast, *, officer=None, known=None):
    """A deflection sent from the phone by officer A1 (or `officer`) for a new client with the
    same name and birth date as `known` (made in agency A if not given): saved, with its
    PossibleDuplicate open."""
    from datetime import date

    from referrals import services

    officer = officer or cast.officer_a1
    known = known or ClientFactory(
        agency=officer.agency, first_name="Marisol", last_name="Quintanilla", date_of_birth=date(1988, 4, 12)
    )
    logged = services.referral_create(
        officer_user=officer,
        partner=cast.partner_y,
        pathway="active_outreach",
        officer_minutes=20,
        new_client=services.NewClient(
            first_name=known.first_name, last_name=known.last_name, date_of_birth=known.date_of_birth
        ),
        flag_possible_duplicates=True,
    )
    assert logged.flagged
    return logged.referral.possible_duplicates.get()


def retention_check_recorded(referral: Referral, days: int, *, actor, outcome: str = "engaged"):
    """Record the referral's `days`-day retention check, on the day it comes due (before it,
    the service refuses: whether the client is still engaged is not known yet)."""
    from referrals import services
    from referrals.models import FollowUp

    check = referral.follow_ups.get(kind=f"retention_{days}")
    FollowUp.objects.filter(pk=check.pk).update(due_at=timezone.now())
    return services.follow_up_complete(follow_up_id=check.pk, actor=actor, outcome=outcome)
