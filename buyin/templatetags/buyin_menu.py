"""The buy-in loop's links in every signed-in page's menu (under "More"): suggest a change
(coming back to the page it was suggested from), the user's suggestions with their unread
answers, and "You said, we did". Drawn here rather than by an included template, as the
menu's other links are (deflection/templatetags/navigation.py)."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from deflection.markup import format_html, format_html_join
from deflection.navigation import url_of

register = template.Library()

LINK = '<li class="nav-item"><a class="nav-link{}" href="{}{}"{}{}>{}{}</a></li>'
CURRENT = (" active", SafeString(' aria-current="page"'))


@register.simple_tag(takes_context=True)
def buyin_menu(context: template.Context) -> SafeString:
    request = context["request"]
    path = request.path
    unread = context.get("unread_suggestions", 0)
    unread = unread() if callable(unread) else unread  # buyin.context_processors.menu: a callable
    suggest, mine, said_did = (
        url_of(name) for name in ("buyin:suggestion_new", "buyin:suggestions_mine", "buyin:you_said_we_did")
    )
    badge = ""
    if unread:
        words = ngettext("%(n)s new answer", "%(n)s new answers", unread) % {"n": unread}
        badge = format_html(' <span class="badge text-bg-warning">{}</span>', words)

    def link(url: str, words: str, *, back: str = "", id_: str = "", after: str = "") -> tuple:
        here = url == path
        active, current = CURRENT if here else ("", "")
        return (active, url, "" if here else back, current, SafeString(f' id="{id_}"') if id_ else "", words, after)

    return format_html_join(
        "",
        LINK,
        (
            link(suggest, gettext("Suggest a change"), back="?next=" + quote(request.get_full_path())),
            link(mine, gettext("My suggestions"), id_="nav-my-suggestions", after=badge),
            link(said_did, gettext("You said, we did")),
        ),
    )
