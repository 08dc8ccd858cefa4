"""The program-evaluation export: one row per referral, de-identified.

No names, dates of birth, phone numbers, addresses or free-text notes. Clients and
officers appear as stable pseudonyms (a keyed hash, so re-engagements can be followed
without knowing who); dates are reduced to the month; ages to five-year bands with 90
and over together; every code comes with its label. The codebook is generated from
the same column list, so the two can never disagree.

The partners' treatment record (status, acceptance, intake, retention, whether a held
charge's condition was met) is 42 CFR Part 2 information: a program administrator's export
carries all of it; an agency's command staff get, row by row, what the client's consents to
the agency let police know (referrals.police_disclosure), and blanks where they do not.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals.consent_documents import TEXT as CONSENT_TEXT
from referrals.models import (
    REENGAGEMENT,
    CaseEvent,
    Client,
    Consent,
    FollowUp,
    Need,
    Pathway,
    Referral,
    Substance,
    reason_label,
)
from referrals.police_disclosure import CONSENT_RANK, rank_covering
from reports import metrics, process, process_voice

NOTICE = CONSENT_TEXT["en"]["notice"]


def pseudonym(kind: str, pk: int | None) -> str:
    """A stable pseudonymous id: HMAC-SHA256 of the row id under the export key."""
    if pk is None:
        return ""
    key = settings.EXPORT_PSEUDONYM_KEY.encode()
    return hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:16]


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return ""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age >= 90:
        return "90+"
    low = (age // 5) * 5
    return f"{low}-{low + 4}"


# What each row reads: its name on _Row, and the field of the query it comes from.
_READS = (
    ("pk", "pk"),
    ("client_id", "client_id"),
    ("officer_id", "officer_id"),
    ("agency", "agency__name"),
    ("unit", "officer__unit__name"),
    ("occurred_at", "occurred_at"),
    ("pathway", "pathway"),
    ("partner", "partner__name"),
    ("partner_kind", "partner__kind"),
    ("presenting_needs", "presenting_needs"),
    ("substances", "substances"),
    ("naloxone_administered", "naloxone_administered"),
    ("charge_deflected", "charge_deflected"),
    ("warm_handoff", "warm_handoff"),
    ("officer_minutes", "officer_minutes"),
    ("status", "status"),
    ("status_reason", "status_reason"),
    ("accepted_at", "accepted_at"),
    ("intake_at", "intake_at"),
    ("closed_at", "closed_at"),
    ("cancelled_by_officer", "cancelled_by_officer"),
    ("reengaged", "reengaged"),
    ("charge_state", "held_charge__state"),
    ("charge_condition", "held_charge__condition"),
    ("charge_days", "held_charge__engaged_days"),
    ("charge_decided_at", "held_charge__state_changed_at"),
    ("date_of_birth", "client__date_of_birth"),
    ("gender", "client__gender"),
    ("race_ethnicity", "client__race_ethnicity"),
    ("preferred_language", "client__preferred_language"),
)
ROW_FIELDS = tuple(field for _name, field in _READS)

# How much of the treatment record the consents to the agency share: CONSENT_RANK's levels
# (a consent to the full record shares no more here than one to status and outcomes).
STATUS = CONSENT_RANK[Consent.Scope.STATUS_ONLY]
OUTCOMES = CONSENT_RANK[Consent.Scope.STATUS_OUTCOMES]
SHARED = {0: "none", STATUS: "status", OUTCOMES: "status_and_outcomes"}
# Of a held charge police always know that it was withdrawn (their own work); whether it is
# still held or how it was decided only under consent (held_charges.police_label).
POLICE_CHARGE_STATES = ("withdrawn",)
BATCH = 2000


class _Row:
    """One referral as the export reads it: plain values from one query, labels from maps
    made once per export (no lookups per row)."""

    __slots__ = (
        *(name for name, _field in _READS),
        *("engaged", "checked", "intake_recorded", "labels", "local", "shared", "known"),
    )

    def __init__(self, values: tuple, labels: _Labels) -> None:
        for (name, _field), value in zip(_READS, values, strict=False):
            setattr(self, name, value)
        # Then, per retention checkpoint, whether it found the client engaged.
        self.engaged = dict(zip(metrics.RETENTION_DAYS, values[len(_READS) :], strict=True))
        # When each checkpoint and the intake were recorded (_Consented reads them, where a
        # consent to the agency makes them matter).
        self.checked: dict[int, datetime | None] = dict.fromkeys(metrics.RETENTION_DAYS)
        self.intake_recorded: datetime | None = None
        self.labels = labels
        # When it happened, in the time zone of the export (as timezone.localtime()).
        self.local = self.occurred_at.astimezone(labels.zone)
        # What of the treatment record the row may show (rows() decides): nothing until then.
        self.shared: int | None = 0  # None: the whole record (a program administrator's export)
        self.known: set[object] = set()

    def facts(self, now: datetime) -> dict[object, tuple[datetime, int]]:
        """Each fact of the treatment record the columns tell, with when it was recorded and
        the consent it needs (CONSENT_RANK). A fact that still holds ("no intake yet", the
        status now) is one as of now, or as of the closing once closed. A column shows its
        fact only where a consent to the agency covered that moment, as the officer's view of
        the referral shows each item (referrals.police_disclosure)."""
        standing = self.closed_at or now
        facts: dict[object, tuple[datetime, int]] = {
            "status": (standing, STATUS),
            "accepted": (self.accepted_at or standing, STATUS),
            "intake": (self.intake_recorded or standing, OUTCOMES) if self.intake_at else (standing, OUTCOMES),
            "reason": (standing, OUTCOMES),
        }
        if self.intake_at is not None:
            for days in metrics.RETENTION_DAYS:
                due = min(self.intake_at + timedelta(days=days), standing)
                facts[days] = (self.checked[days] or due, OUTCOMES)
        if self.charge_state is not None:
            # Decided: when; still held: as of now (a decision, had there been one, would show).
            decided = self.charge_state in ("satisfied", "not_satisfied") and self.charge_decided_at
            facts["charge"] = (decided or standing, OUTCOMES)
        return facts


class _Labels:
    """Every code's label, as plain text in the language of the export, made once."""

    def __init__(self) -> None:
        from partners.models import ServicePartner

        self.pathway = {value: str(label) for value, label in Pathway.choices}
        self.need = {value: str(label) for value, label in Need.choices}
        self.substance = {value: str(label) for value, label in Substance.choices}
        self.status = {value: str(label) for value, label in Referral.Status.choices}
        # The status as police know it without consent (the words of the officer's view).
        self.status["open"] = str(_("Received by partner · open"))
        self.status["closed"] = str(_("Closed"))
        self.partner_kind = {value: str(label) for value, label in ServicePartner.Kind.choices}
        self.language = {value: str(label) for value, label in Client.Language.choices}
        self.reasons: dict[str, str] = {}
        self.zone = timezone.get_current_timezone()
        self.pseudonyms: dict[tuple[str, int | None], str] = {}

    def pseudonym(self, kind: str, pk: int | None) -> str:
        # A client or officer appears in many rows: hash each once per export.
        key = (kind, pk)
        if key not in self.pseudonyms:
            self.pseudonyms[key] = pseudonym(kind, pk)
        return self.pseudonyms[key]

    def reason(self, code: str) -> str:
        if code not in self.reasons:
            self.reasons[code] = reason_label(code)
        return self.reasons[code]

    def many(self, codes: list[str], labels: dict[str, str]) -> str:
        return "; ".join(labels[c] for c in codes if c in labels)


def _status(r: _Row) -> str:
    """The status, or only whether it is open where the agency may not know more (as the
    officer's view of the referral says: "Received by partner · open" or "Closed", and
    "Cancelled" where its own officer cancelled it)."""
    if "status" in r.known or r.cancelled_by_officer:
        return r.status
    return "open" if r.status in Referral.OPEN_STATUSES else "closed"


def _reason(r: _Row) -> str:
    # Cancelled by its own officer: police's act, its reason theirs to know.
    known = "reason" in r.known or r.cancelled_by_officer
    return r.labels.reason(r.status_reason) if r.status_reason and known else ""


def _if_known(fact: object, value: Callable[[_Row, datetime], object]) -> Callable[[_Row, datetime], object]:
    """The column's value where the row may show this fact of the treatment record, else blank."""
    return lambda r, n: value(r, n) if fact in r.known else ""


def _charge_outcome(r: _Row) -> str:
    if r.charge_state is None:
        return ""
    return r.charge_state if "charge" in r.known or r.charge_state in POLICE_CHARGE_STATES else "not_shared"


def _retained_column(days: int) -> Callable[[_Row, datetime], object]:
    """A checkpoint's column: blank without intake, or where the agency may not know it."""
    return lambda r, n: _retained(r, days, n) if days in r.known or r.intake_at is None else ""


def _retained(r: _Row, days: int, now: datetime) -> str:
    """yes / no / not due (the checkpoint has not come), blank without intake."""
    if r.intake_at is None:
        return ""
    if r.intake_at + timedelta(days=days) > now:
        return "not due"
    return "yes" if r.engaged[days] else "no"


def _charge_condition(r: _Row) -> str:
    if r.charge_condition is None:
        return ""
    return "intake" if r.charge_condition == "intake" else f"engaged {r.charge_days} days"


def _hours(start: datetime | None, end: datetime | None) -> str:
    return f"{(end - start).total_seconds() / 3600:.1f}" if start and end else ""


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    value: Callable[[_Row, datetime], object]


YES_NO = {True: "yes", False: "no"}

COLUMNS: list[Column] = [
    Column(
        "referral_id",
        _("Pseudonymous id of the referral (stable across exports)."),
        lambda r, n: pseudonym("referral", r.pk),
    ),
    Column(
        "client_id",
        _(
            "Pseudonymous id of the client: the same person has the same id in every row, so re-engagements can be "
            "followed. Not reversible without the program's key."
        ),
        lambda r, n: r.labels.pseudonym("client", r.client_id),
    ),
    Column(
        "officer_id",
        _("Pseudonymous id of the referring officer."),
        lambda r, n: r.labels.pseudonym("officer", r.officer_id),
    ),
    Column("agency", _("The referring agency."), lambda r, n: r.agency),
    Column("unit", _("The officer's unit at the time of export."), lambda r, n: r.unit or ""),
    Column(
        "month_logged",
        _("Month the deflection happened (YYYY-MM, agency time)."),
        lambda r, n: r.local.strftime("%Y-%m"),
    ),
    Column("pathway_code", _("Deflection pathway, code."), lambda r, n: r.pathway),
    Column("pathway", _("Deflection pathway, label."), lambda r, n: r.labels.pathway[r.pathway]),
    Column("partner", _("Service partner the referral went to."), lambda r, n: r.partner),
    Column(
        "partner_kind",
        _("Kind of service partner."),
        lambda r, n: r.labels.partner_kind.get(r.partner_kind, r.partner_kind),
    ),
    Column(
        "presenting_needs",
        _("Presenting needs, labels separated by ';'."),
        lambda r, n: r.labels.many(r.presenting_needs, r.labels.need),
    ),
    Column(
        "substances",
        _("Substances reported, labels separated by ';'."),
        lambda r, n: r.labels.many(r.substances, r.labels.substance),
    ),
    Column(
        "naloxone_administered",
        _("Naloxone given at the encounter (overdose reversal): yes/no."),
        lambda r, n: YES_NO[r.naloxone_administered],
    ),
    Column(
        "charge_deflected",
        _("A charge was deflected (the officer would otherwise have booked): yes/no."),
        lambda r, n: YES_NO[bool(r.charge_deflected)],
    ),
    Column("warm_handoff", _("Warm handoff or transport to the partner: yes/no."), lambda r, n: YES_NO[r.warm_handoff]),
    Column("officer_minutes", _("Minutes the officer spent on the deflection."), lambda r, n: r.officer_minutes),
    Column(
        "deflection",
        _(
            "Counted as a deflection: no where the referring officer cancelled it (withdrawn or entered in error), "
            "yes otherwise, a referral the partner cancelled included."
        ),
        lambda r, n: YES_NO[not r.cancelled_by_officer],
    ),
    Column(
        "treatment_record",
        _(
            "How much of the partner's treatment record (42 CFR Part 2) the row may show: 'all' in a program "
            "administrator's export; in an agency's, the most a consent to the agency on file shares: "
            "'status_and_outcomes', 'status' (status and acceptance), or 'none' (status reads open or closed, or "
            "cancelled where the referring officer cancelled it; the other treatment columns are blank). A column "
            "is blank too where no such consent covered the moment its fact was recorded, as on the officer's page "
            "of the referral."
        ),
        lambda r, n: "all" if r.shared is None else SHARED[r.shared],
    ),
    Column(
        "status_code",
        _(
            "Referral status now, code (FHIR Task-like lifecycle); 'open' or 'closed' where treatment_record is "
            "none, and 'cancelled' where the referring officer cancelled it."
        ),
        lambda r, n: _status(r),
    ),
    Column("status", _("Referral status now, label."), lambda r, n: r.labels.status.get(_status(r), r.status)),
    Column(
        "status_reason",
        _(
            "Reason for declining, cancelling or closing, label; blank where treatment_record does not cover "
            "outcomes, unless the referring officer cancelled it."
        ),
        lambda r, n: _reason(r),
    ),
    Column(
        "accepted",
        _("The partner accepted the referral: yes/no; blank where treatment_record is none."),
        _if_known("accepted", lambda r, n: YES_NO[r.accepted_at is not None]),
    ),
    Column(
        "hours_to_accept",
        _("Hours from the deflection to acceptance."),
        _if_known("accepted", lambda r, n: _hours(r.occurred_at, r.accepted_at)),
    ),
    Column(
        "intake",
        _("The client attended intake: yes/no; blank where treatment_record does not cover outcomes."),
        _if_known("intake", lambda r, n: YES_NO[r.intake_at is not None]),
    ),
    Column(
        "hours_to_intake",
        _("Hours from the deflection to intake."),
        _if_known("intake", lambda r, n: _hours(r.occurred_at, r.intake_at)),
    ),
    Column(
        "retained_30",
        _("Still engaged at the 30-day check: yes / no / not due; blank without intake."),
        _retained_column(30),
    ),
    Column(
        "retained_60",
        _("Still engaged at the 60-day check: yes / no / not due; blank without intake."),
        _retained_column(60),
    ),
    Column(
        "retained_90",
        _("Still engaged at the 90-day check: yes / no / not due; blank without intake."),
        _retained_column(90),
    ),
    Column(
        "reengagement",
        _(
            "A re-engagement: the client's previous deflection had closed before this one was "
            "logged, or was to another partner: yes/no. (Seen again while a referral was open at the same partner "
            "is an officer contact on that referral, not a row of this file.)"
        ),
        lambda r, n: YES_NO[bool(r.reengaged)],
    ),
    Column(
        "charge_held",
        _(
            "Officer intervention: a charge was held in abeyance while the client engaged (withdrawn ones included; "
            "see charge_outcome): yes/no."
        ),
        lambda r, n: YES_NO[r.charge_state is not None],
    ),
    Column(
        "charge_condition",
        _(
            "The held charge's condition: 'intake' (reach intake by the deadline) or 'engaged N days' (stay engaged N "
            "days by it); blank without a charge held."
        ),
        lambda r, n: _charge_condition(r),
    ),
    Column(
        "charge_outcome",
        _(
            "The held charge now, code: held (pending), satisfied (condition met: to be dropped), not_satisfied (the "
            "deadline passed without it), withdrawn; not_shared (held or decided) where the client's consent does "
            "not let the agency know whether the condition was met; blank without a charge held."
        ),
        lambda r, n: _charge_outcome(r),
    ),
    Column(
        "age_band",
        _("Client's age at the deflection in five-year bands; 90 and over as 90+."),
        lambda r, n: age_band(r.date_of_birth, r.local.date()),
    ),
    Column("gender", _("Client's gender as recorded."), lambda r, n: r.gender),
    Column("race_ethnicity", _("Client's race/ethnicity as recorded."), lambda r, n: r.race_ethnicity),
    Column(
        "preferred_language",
        _("Client's preferred language."),
        lambda r, n: r.labels.language.get(r.preferred_language, r.preferred_language),
    ),
]


def export_queryset(scope: metrics.Scope):
    """The referrals of the export as plain tuples, in one query whatever their number:
    the retention checks come as yes/no columns of the same query, not as a prefetch."""
    engaged = {f"engaged_{days}": metrics.engaged_at(days, counted=False) for days in metrics.RETENTION_DAYS}
    # The metrics' definition of a re-engagement, as a column of the same query.
    reengaged = Case(When(REENGAGEMENT, then=Value(True)), default=Value(False), output_field=BooleanField())
    return (
        metrics.logged(scope)
        .annotate(reengaged=reengaged, **engaged)
        .values_list(*ROW_FIELDS, *engaged)
        .order_by("occurred_at", "id")
    )


class _Consented:
    """The consents to their agency of the export's referrals that have one, and when their
    intake and retention checks were recorded: three queries for the whole export, whatever
    its size (most referrals have no such consent, and need none of it)."""

    def __init__(self, scope: metrics.Scope) -> None:
        to_agency = Consent.objects.filter(referral=OuterRef("pk"), recipient_agency_id=OuterRef("agency_id"))
        consented = metrics.logged(scope).filter(Exists(to_agency)).values("pk")
        self.consents: dict[int, list[Consent]] = defaultdict(list)
        # Consent.covers reads the referral's closing (an end-of-treatment consent ends there).
        found = Consent.objects.filter(referral__in=consented, recipient_agency_id=F("referral__agency_id"))
        for consent in found.select_related("referral").only(*_CONSENT_READS):
            self.consents[consent.referral_id].append(consent)
        self.checked: dict[tuple[int, int], datetime] = {}
        checks = FollowUp.objects.filter(
            referral__in=consented,
            kind__in=[f"retention_{d}" for d in metrics.RETENTION_DAYS],
            completed_at__isnull=False,
        ).order_by("completed_at")
        for referral_id, kind, completed_at in checks.values_list("referral_id", "kind", "completed_at"):
            # The latest of a checkpoint's checks, as the engaged_at column reads any of them.
            self.checked[(referral_id, int(kind.removeprefix("retention_")))] = completed_at
        intakes = CaseEvent.objects.filter(
            referral__in=consented,
            kind=CaseEvent.Kind.STATUS_CHANGED,
            from_status=Referral.Status.ACCEPTED,
            to_status=Referral.Status.IN_PROGRESS,
        ).order_by("-created_at")
        # The first intake recorded, where a referral has more than one.
        self.intake_recorded = dict(intakes.values_list("referral_id", "created_at"))

    def weigh(self, r: _Row, now: datetime) -> None:
        """Set what the row may show by the consents to its agency, as the officer's view of
        the referral does: each fact where a consent sharing enough covered the moment it was
        recorded (a held charge's decision as held_charges.police_label reads it)."""
        found = self.consents.get(r.pk, [])
        if not found:
            return
        r.checked = {days: self.checked.get((r.pk, days)) for days in metrics.RETENTION_DAYS}
        r.intake_recorded = self.intake_recorded.get(r.pk)
        r.shared = min(max(CONSENT_RANK.get(c.scope, 0) for c in found), OUTCOMES)
        r.known = {fact for fact, (moment, needs) in r.facts(now).items() if rank_covering(found, moment) >= needs}


# What Consent.covers and the rule read of a consent and its referral.
_CONSENT_READS = (
    *("referral", "recipient_agency_id", "scope", "revoked_at", "expires_on", "expiry_event"),
    *("referral__id", "referral__closed_at"),
)


def rows(scope: metrics.Scope, *, whole_record: bool, now: datetime | None = None) -> Iterator[list[object]]:
    """The export's rows; `whole_record`: the partners' treatment record whatever the
    consents (permissions.exports_whole_treatment_record), else what they share with the agency."""
    now = now or timezone.now()
    labels = _Labels()
    consented = None if whole_record else _Consented(scope)
    for values in export_queryset(scope).iterator(chunk_size=BATCH):
        referral = _Row(values, labels)
        if consented is None:
            referral.shared, referral.known = None, set(referral.facts(now))
        else:
            consented.weigh(referral, now)
        # Plain str and int: labels are lazy translations, which spreadsheets cannot take.
        yield [_plain(column.value(referral, now)) for column in COLUMNS]


def _plain(value: object) -> object:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _csv(names: list[str], found: Iterator[list[object]]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The redisclosure notice travels with the file (lines starting with #).
    writer.writerow([f"# {NOTICE}"])
    writer.writerow(names)
    count = 0
    for row in found:
        writer.writerow(row)
        count += 1
    return buffer.getvalue().encode("utf-8-sig"), count


def _xlsx(sheet: str, names: list[str], found: Iterator[list[object]], codebook: list[tuple[str, str]]):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    data = book.create_sheet(sheet)
    data.append(names)
    count = 0
    for row in found:
        data.append(row)
        count += 1
    notice = book.create_sheet("notice")
    notice.append([str(_("Notice to recipients (42 CFR §2.32)"))])
    notice.append([NOTICE])
    sheet_of_codes = book.create_sheet("codebook")
    sheet_of_codes.append(["column", "meaning"])
    for name, meaning in codebook:
        sheet_of_codes.append([name, str(meaning)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def as_csv(scope: metrics.Scope, *, whole_record: bool) -> tuple[bytes, int]:
    return _csv([column.name for column in COLUMNS], rows(scope, whole_record=whole_record))


def as_xlsx(scope: metrics.Scope, *, whole_record: bool) -> tuple[bytes, int]:
    found = rows(scope, whole_record=whole_record)
    return _xlsx("referrals", [column.name for column in COLUMNS], found, [(c.name, c.meaning) for c in COLUMNS])


def process_export(scope: metrics.Scope, *, user, agency, rollups: bool, file_format: str) -> tuple[bytes, int]:
    """The process evaluation's aggregates (reports.process_voice.EXPORT_COLUMNS), de-identified."""
    names = [name for name, _meaning in process_voice.EXPORT_COLUMNS]
    feedback = process.export_rows(scope, agency=agency, rollups=rollups)
    rows = process_voice.export_rows(scope, user=user, agency=agency, feedback=feedback)
    found = ([_plain(value) for value in row] for row in rows)
    if file_format == "xlsx":
        codebook = [*process_voice.EXPORT_COLUMNS, ("withheld", process.WITHHELD_NOTE)]
        return _xlsx("process_evaluation", names, found, codebook)
    return _csv(names, found)
