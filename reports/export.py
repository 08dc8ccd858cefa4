"""The program-evaluation export: one row per referral, de-identified.

No names, dates of birth, phone numbers, addresses or free-text notes. Clients and
officers appear as stable pseudonyms (a keyed hash, so re-engagements can be followed
without knowing who); dates are reduced to the month; ages to five-year bands with 90
and over together; every code comes with its label. The codebook is generated from
the same column list, so the two can never disagree.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from referrals.consent_documents import TEXT as CONSENT_TEXT
from referrals.models import FollowUp, Need, Pathway, Referral, Substance, reason_label
from reports import metrics

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


def month(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m") if moment else ""


def _retained(referral: Referral, days: int, now: datetime) -> str:
    """yes / no / not due (the checkpoint has not come), blank without intake."""
    if referral.intake_at is None:
        return ""
    if referral.intake_at + timedelta(days=days) > now:
        return "not due"
    kind = f"retention_{days}"
    engaged = any(
        f.kind == kind and f.completed_at and f.outcome == FollowUp.Outcome.ENGAGED for f in referral.follow_ups.all()
    )
    return "yes" if engaged else "no"


def _hours(start: datetime | None, end: datetime | None) -> str:
    return f"{(end - start).total_seconds() / 3600:.1f}" if start and end else ""


def _labels(codes: list[str], choices) -> str:
    return "; ".join(str(choices(c).label) for c in codes if c in choices.values)


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    value: Callable[[Referral, datetime], object]


YES_NO = {True: "yes", False: "no"}

COLUMNS: list[Column] = [
    Column(
        "referral_id",
        "Pseudonymous id of the referral (stable across exports).",
        lambda r, n: pseudonym("referral", r.pk),
    ),
    Column(
        "client_id",
        "Pseudonymous id of the client: the same person has the same id in every row, so re-engagements can be "
        "followed. Not reversible without the program's key.",
        lambda r, n: pseudonym("client", r.client_id),
    ),
    Column("officer_id", "Pseudonymous id of the referring officer.", lambda r, n: pseudonym("officer", r.officer_id)),
    Column("agency", "The referring agency.", lambda r, n: r.agency.name),
    Column(
        "unit", "The officer's unit at the time of export.", lambda r, n: r.officer.unit.name if r.officer.unit else ""
    ),
    Column("month_logged", "Month the deflection happened (YYYY-MM, agency time).", lambda r, n: month(r.occurred_at)),
    Column("pathway_code", "Deflection pathway, code.", lambda r, n: r.pathway),
    Column("pathway", "Deflection pathway, label.", lambda r, n: Pathway(r.pathway).label),
    Column("partner", "Service partner the referral went to.", lambda r, n: r.partner.name),
    Column("partner_kind", "Kind of service partner.", lambda r, n: r.partner.get_kind_display()),
    Column(
        "presenting_needs", "Presenting needs, labels separated by ';'.", lambda r, n: _labels(r.presenting_needs, Need)
    ),
    Column(
        "substances", "Substances reported, labels separated by ';'.", lambda r, n: _labels(r.substances, Substance)
    ),
    Column(
        "naloxone_administered",
        "Naloxone given at the encounter (overdose reversal): yes/no.",
        lambda r, n: YES_NO[r.naloxone_administered],
    ),
    Column(
        "charge_deflected",
        "A charge was deflected (the officer would otherwise have booked): yes/no.",
        lambda r, n: YES_NO[bool(r.charge_deflected)],
    ),
    Column("warm_handoff", "Warm handoff or transport to the partner: yes/no.", lambda r, n: YES_NO[r.warm_handoff]),
    Column("officer_minutes", "Minutes the officer spent on the deflection.", lambda r, n: r.officer_minutes),
    Column("status_code", "Referral status now, code (FHIR Task-like lifecycle).", lambda r, n: r.status),
    Column("status", "Referral status now, label.", lambda r, n: r.get_status_display()),
    Column(
        "status_reason",
        "Reason for declining, cancelling or closing, label.",
        lambda r, n: reason_label(r.status_reason) if r.status_reason else "",
    ),
    Column("accepted", "The partner accepted the referral: yes/no.", lambda r, n: YES_NO[r.accepted_at is not None]),
    Column(
        "hours_to_accept", "Hours from the deflection to acceptance.", lambda r, n: _hours(r.occurred_at, r.accepted_at)
    ),
    Column("intake", "The client attended intake: yes/no.", lambda r, n: YES_NO[r.intake_at is not None]),
    Column("hours_to_intake", "Hours from the deflection to intake.", lambda r, n: _hours(r.occurred_at, r.intake_at)),
    Column(
        "retained_30",
        "Still engaged at the 30-day check: yes / no / not due; blank without intake.",
        lambda r, n: _retained(r, 30, n),
    ),
    Column(
        "retained_60",
        "Still engaged at the 60-day check: yes / no / not due; blank without intake.",
        lambda r, n: _retained(r, 60, n),
    ),
    Column(
        "retained_90",
        "Still engaged at the 90-day check: yes / no / not due; blank without intake.",
        lambda r, n: _retained(r, 90, n),
    ),
    Column(
        "reengagement",
        "The client had an earlier referral: yes/no.",
        lambda r, n: YES_NO[r.reengagement_of_id is not None],
    ),
    Column(
        "age_band",
        "Client's age at the deflection in five-year bands; 90 and over as 90+.",
        lambda r, n: age_band(r.client.date_of_birth, timezone.localtime(r.occurred_at).date()),
    ),
    Column("gender", "Client's gender as recorded.", lambda r, n: r.client.gender),
    Column("race_ethnicity", "Client's race/ethnicity as recorded.", lambda r, n: r.client.race_ethnicity),
    Column(
        "preferred_language", "Client's preferred language.", lambda r, n: r.client.get_preferred_language_display()
    ),
]


def export_queryset(scope: metrics.Scope) -> QuerySet[Referral]:
    return (
        metrics.logged(scope)
        .select_related("agency", "partner", "client", "officer__unit")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.filter(kind__startswith="retention")))
        .order_by("occurred_at", "id")
    )


def rows(scope: metrics.Scope, *, now: datetime | None = None) -> Iterator[list[object]]:
    now = now or timezone.now()
    for referral in export_queryset(scope).iterator(chunk_size=2000):
        # Plain str and int: labels are lazy translations, which spreadsheets cannot take.
        yield [_plain(column.value(referral, now)) for column in COLUMNS]


def _plain(value: object) -> object:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def as_csv(scope: metrics.Scope) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The redisclosure notice travels with the file (lines starting with #).
    writer.writerow([f"# {NOTICE}"])
    writer.writerow([column.name for column in COLUMNS])
    count = 0
    for row in rows(scope):
        writer.writerow(row)
        count += 1
    return buffer.getvalue().encode("utf-8-sig"), count


def as_xlsx(scope: metrics.Scope) -> tuple[bytes, int]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    data = book.create_sheet("referrals")
    data.append([column.name for column in COLUMNS])
    count = 0
    for row in rows(scope):
        data.append(row)
        count += 1
    notice = book.create_sheet("notice")
    notice.append(["Notice to recipients (42 CFR §2.32)"])
    notice.append([NOTICE])
    codebook = book.create_sheet("codebook")
    codebook.append(["column", "meaning"])
    for column in COLUMNS:
        codebook.append([column.name, column.meaning])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count
