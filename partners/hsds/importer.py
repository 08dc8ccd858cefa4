"""Importing an HSDS 3.0 directory: what would be created, updated or left unchanged, row by
row, and why a row cannot be read; then, when every row reads, the import itself.

A partner is recognised by its directory id, else by its name. Partners the file does not
name are left alone. The import is all or nothing: one bad row and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deflection.models import User
from partners.directory import FIELD_LABELS, DirectoryEntry, directory_entry_of, week_summary
from partners.hsds.read import Row, read_rows
from partners.models import ServicePartner
from partners.selectors import agencies_for_directory, partner_for_directory
from partners.services import partner_directory_save

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


@dataclass(frozen=True)
class Change:
    """One field of a partner that the import changes, as people read it."""

    field: str
    before: str
    after: str


@dataclass
class RowReport:
    """One organization of the file: what the import does with it, or why it cannot."""

    number: int
    name: str
    action: str
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return _("Row %(number)s (%(name)s)") % {"number": self.number, "name": self.name or _("no name")}


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[RowReport]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every row reads: the import can be (or was) made."""
        return not self.file_errors and all(row.action != ERROR for row in self.rows)

    @property
    def changes_anything(self) -> bool:
        return self.ok and any(row.action in (CREATE, UPDATE) for row in self.rows)

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def error_lines(self) -> list[str]:
        """Every error, with the row it is in: "Row 3 (Name): it has no name."."""
        return [*self.file_errors, *(f"{row.where}: {error}" for row in self.rows for error in row.errors)]

    def summary(self) -> str:
        counts = {"created": self.count(CREATE), "updated": self.count(UPDATE), "unchanged": self.count(UNCHANGED)}
        if not self.ok:
            return _("%(errors)s error(s): nothing is imported until every row reads.") % {
                "errors": len(self.error_lines())
            }
        if self.dry_run:
            return _("Would create %(created)s, update %(updated)s, leave %(unchanged)s unchanged.") % counts
        return _("Created %(created)s, updated %(updated)s, left %(unchanged)s unchanged.") % counts


def import_directory(data: object, *, dry_run: bool, actor: User | None = None) -> ImportReport:
    """Import `data` (an HSDS page of organizations, parsed JSON) into the partner directory,
    or with `dry_run` say what that would do. `actor`: who imports (None: the command line).

    The dry run is the import itself, rolled back: what it reports (a name another partner
    already has, a value too long) is exactly what the import would meet.
    """
    rows, file_errors = read_rows(data, agencies=agencies_for_directory(actor=actor))
    report = ImportReport(dry_run=dry_run, rows=[], file_errors=file_errors)
    with transaction.atomic():
        _refuse_doubles(rows)
        for row in rows:
            report.rows.append(_import_row(row, actor=actor))
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def _refuse_doubles(rows: list[Row]) -> None:
    """A partner twice in one file: the second time is an error, whichever was meant."""
    seen: dict[object, int] = {}
    for row in rows:
        if row.entry is None:
            continue
        for key in (("id", row.entry.hsds_id), ("name", row.entry.name.lower())):
            if key[1] is None:
                continue
            if key in seen:
                row.errors.append(
                    _("it is the same partner as row %(number)s (same %(what)s).")
                    % {
                        "number": seen[key],
                        "what": _("id") if key[0] == "id" else _("name"),
                    }
                )
            else:
                seen[key] = row.number


def _import_row(row: Row, *, actor: User | None) -> RowReport:
    report = RowReport(number=row.number, name=row.name, action=ERROR, errors=row.errors, warnings=row.warnings)
    if row.errors or row.entry is None:
        return report
    partner = partner_for_directory(actor=actor, hsds_id=row.entry.hsds_id, name=row.entry.name)
    current = directory_entry_of(partner) if partner else None
    target = row.entry.filled_from(current)
    report.changes = _changes(current, target)
    if current is not None and not report.changes:
        report.action = UNCHANGED
        return report
    try:
        with transaction.atomic():
            partner_directory_save(actor=actor, entry=target, partner_id=partner.pk if partner else None)
    except ValidationError as error:
        report.errors.extend(_messages(error))
        return report
    report.action = UPDATE if partner else CREATE
    return report


def _changes(current: DirectoryEntry | None, target: DirectoryEntry) -> list[Change]:
    changes = []
    for f in fields(DirectoryEntry):
        before = getattr(current, f.name) if current else None
        after = getattr(target, f.name)
        if before != after and (current is not None or after not in ("", (), False)):
            changes.append(Change(str(FIELD_LABELS[f.name]), _shown(f.name, before), _shown(f.name, after)))
    return changes


def _shown(name: str, value: object) -> str:
    if value is None:
        return ""
    if name == "openings":
        return "; ".join(week_summary(value))  # type: ignore[arg-type]
    if name == "kind":
        return str(ServicePartner.Kind(value).label)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        labels = {**{key: str(label) for key, label in FIELD_LABELS.items()}, "__all__": ""}
        return [
            f"{labels.get(key, key)}: {message}" if labels.get(key, key) else message
            for key, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
