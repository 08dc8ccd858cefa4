"""Whether a piece of free text names a client: the check on text that leaves the case record.

Success stories shared in the digest, and officers' feedback read by the program admin, are
refused when their text holds the client's name, alias, date of birth or phone number. One
check for all of them; the refusal names the kind of identifier found, never its value. Text
about no client in particular (a suggestion, the program's answer to it, a change published to
everyone) is checked for the whole name of any client of the program (`clients_named_in`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from deflection.models import Program
from referrals.models import Client, normalize_name

NAME = gettext_lazy("name")
ALIAS = gettext_lazy("alias")
DATE_OF_BIRTH = gettext_lazy("date of birth")
PHONE = gettext_lazy("phone number")

# A name part this short ("Al", "Jo", "J") is a common word or syllable ("al final", "jo");
# alone it names nobody. It counts only next to another part of the client's name.
SHORT_NAME = 2

_MONTHS = {
    **dict.fromkeys(["january", "jan", "enero", "ene"], 1),
    **dict.fromkeys(["february", "feb", "febrero"], 2),
    **dict.fromkeys(["march", "mar", "marzo"], 3),
    **dict.fromkeys(["april", "apr", "abril", "abr"], 4),
    **dict.fromkeys(["may", "mayo"], 5),
    **dict.fromkeys(["june", "jun", "junio"], 6),
    **dict.fromkeys(["july", "jul", "julio"], 7),
    **dict.fromkeys(["august", "aug", "agosto", "ago"], 8),
    **dict.fromkeys(["september", "sep", "sept", "septiembre", "setiembre", "set"], 9),
    **dict.fromkeys(["october", "oct", "octubre"], 10),
    **dict.fromkeys(["november", "nov", "noviembre"], 11),
    **dict.fromkeys(["december", "dec", "diciembre", "dic"], 12),
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4}|\d{2})"
# On text run through normalize_name: lower case, no accents, punctuation turned to single
# spaces, so "04/17/91", "1991-04-17" and "Apr. 17, 1991" are all words and digits between
# spaces. A lookahead finds overlapping candidates ("3 4 17 1991").
_NUMERIC_DATE = re.compile(r"(?<!\S)(?=(\d{1,4}) (\d{1,2}) (\d{2,4})(?!\S))")
_MONTH_FIRST = re.compile(rf"(?<!\S){_MONTH} {_DAY} (?:of |de )?{_YEAR}(?!\S)")
_DAY_FIRST = re.compile(rf"(?<!\S){_DAY} (?:of |de )?{_MONTH} (?:of |de )?{_YEAR}(?!\S)")
_DIGIT_RUN = re.compile(r"\d+(?: \d+)*")


def _words_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def _year_is(year: str, dob) -> bool:
    return int(year) == dob.year if len(year) == 4 else int(year) == dob.year % 100


def _has_date_of_birth(text: str, dob) -> bool:
    for a, b, c in _NUMERIC_DATE.findall(text):
        if len(a) == 4:  # 1991-04-17
            readings = [(a, b, c)]
        elif len(a) <= 2:  # 4/17/1991 (US) or 17/04/1991 (most elsewhere)
            readings = [(c, a, b), (c, b, a)]
        else:
            continue
        for year, month, day in readings:
            if len(day) <= 2 and _year_is(year, dob) and (int(month), int(day)) == (dob.month, dob.day):
                return True
    for month, day, year in _MONTH_FIRST.findall(text):
        if _MONTHS[month] == dob.month and int(day) == dob.day and _year_is(year, dob):
            return True
    for day, month, year in _DAY_FIRST.findall(text):
        if _MONTHS[month] == dob.month and int(day) == dob.day and _year_is(year, dob):
            return True
    return False


def _has_phone(text: str, phone: str) -> bool:
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # the country code: "+1 602 555 0142" is "602 555 0142"
    if len(digits) < 7:
        return False  # not a number anyone could be called on
    # The last seven digits are the number without its area code ("555-0142").
    local = digits[-7:]
    return any(local in run.replace(" ", "") for run in _DIGIT_RUN.findall(text))


def _has_name(text: str, parts: list[str], whole: list[str]) -> bool:
    """Any part long enough to name someone on its own, or a whole name (short parts included)."""
    for part in parts:
        for word in part.split():
            if len(word) > SHORT_NAME and _words_in(word, text):
                return True
    return any(len(phrase.replace(" ", "")) > SHORT_NAME and _words_in(phrase, text) for phrase in whole)


def identifiers_in_text(*, text: str, client: Client, name_parts: bool = True) -> list[str]:
    """Which kinds of the client's identifiers the text holds (name, alias, date of birth,
    phone number): whole words, case and accents ignored; never the values themselves.
    `name_parts`: whether a first or last name alone counts (it does for the one client a
    text is about; checked against many clients, "Grace" or "Will" alone would refuse most)."""
    plain = normalize_name(text)
    first, last = normalize_name(client.first_name), normalize_name(client.last_name)
    aliases = [normalize_name(a) for a in (client.aliases or "").split(",") if a.strip()]
    found = []
    if _has_name(plain, [first, last] if name_parts else [], [f"{first} {last}", f"{last} {first}"]):
        found.append(str(NAME))
    # An alias is matched whole ("Big Mike", not "big"), or with the last name ("TJ Smith").
    if _has_name(plain, [], aliases + [f"{alias} {last}" for alias in aliases]):
        found.append(str(ALIAS))
    if client.date_of_birth and _has_date_of_birth(plain, client.date_of_birth):
        found.append(str(DATE_OF_BIRTH))
    if client.phone and _has_phone(plain, client.phone):
        found.append(str(PHONE))
    return found


def clients_named_in(*, text: str, clients: QuerySet[Client]) -> bool:
    """Whether the text holds the whole name of one of these clients (first and last name
    side by side, in either order; case and accents ignored). For text about no client in
    particular, checked against all of a program's: the database finds the clients whose name
    begins with two neighbouring words of the text, and each is then checked as
    identifiers_in_text checks one (a first or last name alone is a common word among so many)."""
    words = normalize_name(text).split()
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    pairs |= {f"{b} {a}" for a, b in zip(words, words[1:], strict=False)}
    if not pairs:
        return False
    conditions = [Q(search_name=pair) | Q(search_name__startswith=f"{pair} ") for pair in pairs]
    candidates = _any_of(clients, conditions, "first_name", "last_name", "aliases")
    return any(NAME in identifiers_in_text(text=text, client=client, name_parts=False) for client in candidates)


def _any_of(clients: QuerySet[Client], conditions: Iterable[Q], *fields: str) -> Iterator[Client]:
    """The clients, identity not removed, that meet any of the conditions (the candidates a
    text's words point at), with only `fields` read."""
    either = Q()
    for condition in conditions:
        either |= condition
    return clients.filter(either, identity_removed_at__isnull=True).only(*fields).iterator()


# A title before a surname: "Mr. Garcia" names someone as surely as "Tony Garcia".
_TITLED = re.compile(r"(?<!\S)(?:mr|mrs|ms|miss|mister|sr|sra|srta|senor|senora|senorita|don|dona) (\w+)")


def clients_near(agency_id: int) -> QuerySet[Client]:
    """The clients a text written in an agency might name: its own, and those of the other
    agencies of its program (one person may be deflected by the city and the county)."""
    return Client.objects.filter(
        Q(agency_id=agency_id) | Q(agency__program__in=Program.objects.filter(agencies=agency_id))
    )


def others_identified_in(*, text: str, clients: QuerySet[Client]) -> list[str]:
    """Which kinds of identifiers of any of these clients the text holds, for text about one
    client or officer that may tell of another: a whole name (clients_named_in), a surname
    after a title ("Mr. Garcia", "la Sra. López"), a phone number. The database finds the
    candidates (by the words after a title, by a number's last four digits); each is then
    checked as identifiers_in_text checks one. Never the values found."""
    found = []
    if clients_named_in(text=text, clients=clients):
        found.append(str(NAME))
    plain = normalize_name(text)
    titled = {surname for surname in _TITLED.findall(plain) if len(surname) > SHORT_NAME}
    if str(NAME) not in found and titled:
        candidates = _any_of(clients, (Q(search_name__contains=surname) for surname in titled), "last_name")
        if any(normalize_name(client.last_name) in titled for client in candidates):
            found.append(str(NAME))
    runs = [run.replace(" ", "") for run in _DIGIT_RUN.findall(plain)]
    endings = {run[-4:] for run in runs if len(run) >= 7}
    if endings:
        candidates = _any_of(clients, (Q(phone__endswith=ending) for ending in endings), "phone")
        if any(_has_phone(plain, client.phone) for client in candidates):
            found.append(str(PHONE))
    return found
