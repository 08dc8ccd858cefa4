"""What a partner's system changes on a Task: its status (with the reason a decline or a
closing takes, and when intake was), and outcomes added as outputs. Read from a whole Task
(PUT) or from a JSON Patch applied to the Task as the server has it (PATCH); the other
elements are the server's and are not read. The change itself is made by
api.fhir.services.task_update, through the lifecycle's services.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from api.fhir import codes
from api.fhir.errors import invalid, structure
from referrals.models import FollowUp, Referral


@dataclass(frozen=True)
class Outcome:
    follow_up_id: int
    outcome: str
    note: str


@dataclass
class TaskChange:
    status: str = ""  # the referral status wanted, or "" to leave it
    reason: str = ""
    note: str = ""
    intake_at: datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)


def task_change(sent, *, referral: Referral, follow_ups: list[FollowUp]) -> TaskChange:
    """The change a Task as sent asks for, against the referral and its follow-ups now."""
    if not isinstance(sent, dict) or sent.get("resourceType") != "Task":
        raise structure(_("Send a Task resource."))
    if sent.get("id") != str(referral.pk):
        raise structure(_("The Task's id must be the one in the URL."), "Task.id")
    status = sent.get("status")
    if not isinstance(status, str):
        raise structure(_("A Task has a status."), "Task.status")
    if status in codes.OTHER_TASK_STATUSES or status not in codes.REFERRAL_STATUS:
        raise invalid(_("%(status)s is not a status a referral takes.") % {"status": status[:40]}, "Task.status")
    change = TaskChange()
    wanted = codes.REFERRAL_STATUS[status]
    if wanted != referral.status:
        change.status = wanted
        change.reason, change.note = _reason(sent.get("statusReason"), status)
        change.intake_at = _intake_at(sent.get("executionPeriod")) if status == "in-progress" else None
    change.outcomes = _outcomes(sent.get("output", []), follow_ups)
    return change


def _reason(value, status: str) -> tuple[str, str]:
    """The reason code (from the closing move's code system) and any words beyond its label."""
    steps = [step for step in codes.STEPS_TO[status] if step in codes.REASONS]
    if value is None or not steps:
        return "", ""
    name, choices = codes.REASONS[steps[0]]
    code = codes.code_in(value, name)
    if code is None:
        # The service says which reasons it takes, in the page's words.
        return "", ""
    return code, _words_beyond(value, str(choices(code).label))


def _words_beyond(concept: dict, label: str) -> str:
    """A CodeableConcept's text where it says more than its code's label: the step's note."""
    text = concept.get("text")
    if not isinstance(text, str) or text.strip() == label:
        return ""
    return text.strip()[:2000]


def _intake_at(value) -> datetime | None:
    if value is None:
        return None
    start = value.get("start") if isinstance(value, dict) else None
    if start is None:
        return None
    moment = moment_in(start)
    if moment is None or moment.tzinfo is None:
        raise invalid(_("When intake was is a moment with its zone."), "Task.executionPeriod.start")
    return moment


def _outcomes(value, follow_ups: list[FollowUp]) -> list[Outcome]:
    """The outputs that record an outcome not yet recorded (those already recorded, as the
    server shows them, are left as they are)."""
    if not isinstance(value, list):
        raise structure(_("Task.output is a list."), "Task.output")
    by_id = {f"follow-up-{f.pk}": f for f in follow_ups}
    found: list[Outcome] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise structure(_("Each Task.output is an object."), "Task.output")
        outcome = codes.code_in(entry.get("valueCodeableConcept"), "follow-up-outcome")
        if outcome is None:
            raise invalid(_("Choose an outcome."), "Task.output.valueCodeableConcept")
        named = entry.get("id")
        follow_up = (
            _open_of_kind(entry, follow_ups) if named is None else by_id.get(named) if isinstance(named, str) else None
        )
        if follow_up is None:
            raise invalid(_("This output names no follow-up of the referral."), "Task.output")
        if follow_up.completed_at is not None and follow_up.outcome == outcome:
            continue  # as recorded: nothing to do
        note = _words_beyond(entry["valueCodeableConcept"], codes.coding("follow-up-outcome", outcome)["display"])
        found.append(Outcome(follow_up_id=follow_up.pk, outcome=outcome, note=note))
    return found


def _open_of_kind(entry: dict, follow_ups: list[FollowUp]) -> FollowUp | None:
    """Without an id: the open follow-up of the kind the output's type names, due first."""
    kind = codes.code_in(entry.get("type"), "follow-up-kind")
    open_ones = [f for f in follow_ups if f.kind == kind and f.completed_at is None]
    return min(open_ones, key=lambda f: (f.due_at, f.pk), default=None)


def moment_in(value) -> datetime | None:
    """A date and time as sent, or None when it is not one (a 30th of February included)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# JSON Patch (RFC 6902): add, remove, replace and test, on the Task as the server has it.
# ---------------------------------------------------------------------------


def json_patch(document: dict, operations) -> dict:
    """The document with the operations applied; a 400 for a patch that is not one, a 422
    for one that does not apply (a path that is not there, a test that fails)."""
    if not isinstance(operations, list):
        raise structure(_("A JSON Patch is a list of operations."))
    result = deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise structure(_("Each operation has an op and a path."))
        op, path = operation.get("op"), operation["path"]
        if op not in ("add", "remove", "replace", "test"):
            raise structure(_("This server applies add, remove, replace and test."))
        if op != "remove" and "value" not in operation:
            raise structure(_("This operation needs a value."))
        result = _apply(result, op, _pointer(path), operation.get("value"))
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise structure(_("A path is a JSON Pointer, such as /status."))
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _apply(document, op: str, parts: list[str], value):
    if not parts:
        if op == "test":
            if document != value:
                raise invalid(_("The patch's test failed: the Task has changed."))
            return document
        if op == "remove":
            raise invalid(_("The whole Task cannot be removed."))
        return deepcopy(value)
    *parents, last = parts
    target = document
    for part in parents:
        target = _child(target, part)
    if isinstance(target, list):
        index = len(target) if (last == "-" and op == "add") else _index(target, last, adding=op == "add")
        if op == "add":
            target.insert(index, deepcopy(value))
        elif op == "remove":
            target.pop(index)
        elif op == "replace":
            target[index] = deepcopy(value)
        elif target[index] != value:
            raise invalid(_("The patch's test failed: the Task has changed."))
        return document
    if not isinstance(target, dict):
        raise invalid(_("The patch's path is not in the Task."))
    if op in ("remove", "replace", "test") and last not in target:
        raise invalid(_("The patch's path is not in the Task."))
    if op == "remove":
        del target[last]
    elif op == "test":
        if target[last] != value:
            raise invalid(_("The patch's test failed: the Task has changed."))
    else:
        target[last] = deepcopy(value)
    return document


def _child(node, part: str):
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, adding=False)]
    raise invalid(_("The patch's path is not in the Task."))


def _index(items: list, part: str, *, adding: bool) -> int:
    if not part.isdecimal() or len(part) > 6 or int(part) > len(items) - (0 if adding else 1):
        raise invalid(_("The patch's path is not in the Task."))
    return int(part)
