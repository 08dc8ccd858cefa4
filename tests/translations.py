"""Checks that keep the interface translatable and the Spanish catalogue complete.

Used by tests/test_translations.py and by hand: `python -m tests.translations` lists the
template text that is not marked for translation, and what the Spanish catalogue lacks.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LOCALE = ROOT / "locale"
CATALOGUE = LOCALE / "es" / "LC_MESSAGES" / "django.po"
# Left out of the copy that makemessages reads: not ours (the virtualenv, vendored files),
# not seen by users (tests, benchmarks), or the catalogue itself.
COPY_IGNORE = [
    ".git",
    ".venv",
    "venv",
    "static",
    "staticfiles",
    "tests",
    "benchmarks",
    "var",
    "node_modules",
    "locale",
    "__pycache__",
    "*.sqlite3",
    ".pytest_cache",
    ".ruff_cache",
]

# Stands for a variable or a tag in the text handed to the HTML parser.
_MARK = "\ue000"
_LETTER = re.compile(r"[^\W\d_]")
# Attributes a person reads or hears (screen readers read aria-label and title).
_READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-roledescription", "aria-valuetext"}
# Filter arguments that end up on screen: {{ x|default:"none" }}.
_DEFAULT_LITERAL = re.compile(r"\|default(?:_if_none)?:(?P<q>[\"'])(?P<text>.*?)(?P=q)")
# Regions whose text is not shown as written: comments, text already marked, and blocks that
# fill a style sheet, a class or an id.
_SKIP_UNTIL = {"comment": "endcomment", "blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}
_NOT_TEXT_BLOCKS = {"style", "width", "list_id", "form_id"}

# Text that reads the same in every language the app speaks.
ALLOWED = {
    "h",  # hours, after a figure
    "X",  # a ticked box on the printed consent form
    # A language offered by its own name, as language pickers do.
    "English",
    "Español",
    # A CSS class given as a default (base.html's messages).
    "info",
    # Codes shown as code: an API token's prefix, a FHIR resource's type in a reference.
    "dfl_",
    "Task",
}


@dataclass(frozen=True)
class Unmarked:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _skeleton(source: str) -> tuple[str, list[int], list[str]]:
    """The template's text with each tag and variable replaced by a mark, and marked or
    commented text left out; with the source line of each character, and the literals
    of `default:` filters, which are shown as written."""
    parts: list[str] = []
    lines: list[int] = []
    defaults: list[tuple[int, str]] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        line = token.lineno
        if token.token_type in (TokenType.VAR, TokenType.BLOCK) and closing is None:
            defaults += [(line, m.group("text")) for m in _DEFAULT_LITERAL.finditer(token.contents)]
        if token.token_type == TokenType.BLOCK:
            bits = token.contents.split()
            name = bits[0] if bits else ""
            if closing is not None:
                if name == closing:
                    closing = None
            elif name in _SKIP_UNTIL:
                closing = _SKIP_UNTIL[name]
            elif name == "block" and len(bits) > 1 and bits[1] in _NOT_TEXT_BLOCKS:
                closing = "endblock"
            parts.append(_MARK)
            lines.append(line)
        elif token.token_type == TokenType.TEXT and closing is None:
            for offset, char in enumerate(token.contents):
                parts.append(char)
                lines.append(line + token.contents.count("\n", 0, offset))
        else:
            parts.append(_MARK)
            lines.append(line)
    return "".join(parts), lines, defaults


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw += 1
        kind = dict(attrs).get("type") or ""
        for name, value in attrs:
            value = value or ""
            shown = name in _READ_ATTRIBUTES
            shown = shown or (name == "value" and tag == "input" and kind in ("submit", "button", "reset"))
            # Strings for scripts travel in data- attributes; identifiers there have no spaces.
            shown = shown or (name.startswith("data-") and " " in value.strip())
            if shown:
                self.found.append((self.getpos()[0], value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._raw:
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw:
            self.found.append((self.getpos()[0], data))


_EDGES = " \t\r\n.,;:!?()[]{}\"'«»“”‘’—–-·/|*#<>"


def _unmarked_runs(text: str) -> list[str]:
    """The pieces of a text node between variables and tags that hold words not marked
    for translation (each piece is a separate msgid once marked)."""
    runs = (" ".join(html.unescape(run).split()).strip(_EDGES) for run in text.split(_MARK))
    return [run for run in runs if _LETTER.search(run) and run not in ALLOWED]


def unmarked_in(source: str, name: str) -> list[Unmarked]:
    """The text of one template that a person sees and that is not marked for translation."""
    skeleton, lines, defaults = _skeleton(source)
    finder = _TextFinder()
    # The parser counts lines in the skeleton; map them back through the first character of each.
    starts = [0] + [i + 1 for i, c in enumerate(skeleton) if c == "\n"]
    finder.feed(skeleton)
    finder.close()
    found = [
        Unmarked(name, lines[starts[row - 1]] if starts[row - 1] < len(lines) else row, run)
        for row, text in finder.found
        for run in _unmarked_runs(text)
    ]
    found += [Unmarked(name, line, run) for line, text in defaults for run in _unmarked_runs(text)]
    return found


def unmarked_template_text() -> list[Unmarked]:
    found: list[Unmarked] = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in (".html", ".txt"):
            found += unmarked_in(path.read_text(), str(path.relative_to(ROOT)))
    return found


def catalogue_problems(path: Path = CATALOGUE) -> list[str]:
    """Entries a Spanish reader would see in English: untranslated or fuzzy (a guess that
    gettext ignores), and translations whose placeholders differ from the English."""
    problems = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        where = entry.msgid[:70]
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {where}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not translations or not all(t.strip() for t in translations):
            problems.append(f"untranslated: {where}")
            continue
        english = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
        for text in translations:
            if _placeholders(text) - english or (not entry.msgid_plural and english - _placeholders(text)):
                problems.append(f"placeholders differ: {where}")
                break
    return problems


# Spanish that says a program's term other than the glossary's (at the top of the catalogue):
# the English that names the term, the other words found for it, and the glossary's word.
OFF_GLOSSARY = [
    (r"charge", r"cargos? suspendidos?", "cargo en suspenso"),
    (r"referr", r"remisi[oó]n|remitid[oa]", "referido"),
    (r"client", r"clientes? de integraci[oó]n", "sistema de integración"),
    (r"commendation", r"felicitaci[oó]n", "reconocimiento"),
    (r"feedback", r"comentarios?", "opinión"),
    (r"sign(ed|ing)? (in|out)|sign-in", r"\bentrar\b", "iniciar sesión"),
    # The regional coordinator's word, said of someone else.
    (r"program manager", r"coordinador(?! regional)", "administrador del programa"),
]


def _off_glossary(english: str, spanish: str) -> list[str]:
    return [
        f"{found.group(0)!r} for {word!r}"
        for names, other, word in OFF_GLOSSARY
        if re.search(names, english, re.IGNORECASE)
        for found in [re.search(other, spanish, re.IGNORECASE)]
        if found
    ]


def glossary_problems(path: Path = CATALOGUE) -> list[str]:
    """Spanish that calls a program's term by another word than the glossary's, in the
    catalogue and in the consent form the client signs (referrals/consent_documents.py keeps
    its own wording): the same thing must read the same on the page and on paper."""
    from referrals.consent_documents import TEXT

    pairs = [
        (entry.msgid + " " + entry.msgid_plural, translated)
        for entry in polib.pofile(str(path))
        if not entry.obsolete
        for translated in (list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr])
    ]
    english, spanish = TEXT["en"], TEXT["es"]
    pairs += [(str(english[key]), str(spanish[key])) for key in spanish if key in english and key != "scopes"]
    pairs += [(english["scopes"][key], text) for key, text in spanish["scopes"].items()]
    return [f"off the glossary: {found}: {es[:70]}" for en, es in pairs for found in _off_glossary(en, es)]


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdf]|\{(\w*)\}")


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in _PLACEHOLDER.finditer(text)}


def fresh_msgids() -> set[str]:
    """The msgids makemessages finds in the sources now. It runs in a scratch copy of the
    sources, so that the committed catalogue is left alone."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "src"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "manage.py", "makemessages", "--locale=es", "--no-location", "--no-obsolete"],
            cwd=copy,
            check=True,
            capture_output=True,
            env={**os.environ, "SECRET_KEY": "makemessages-only", "DJANGO_SETTINGS_MODULE": "deflection.settings"},
        )
        return _msgids(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")


def _msgids(path: Path) -> set[str]:
    return {(e.msgctxt or "") + "\x04" + e.msgid for e in polib.pofile(str(path)) if not e.obsolete}


def catalogue_msgids(path: Path = CATALOGUE) -> set[str]:
    return _msgids(path)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deflection.settings")
    django.setup()
    found = [str(item) for item in unmarked_template_text()]
    found += catalogue_problems() + glossary_problems() if CATALOGUE.exists() else ["no catalogue yet"]
    print("\n".join(found) or "Every template string is marked and every Spanish entry translated.")
    sys.exit(1 if found else 0)
