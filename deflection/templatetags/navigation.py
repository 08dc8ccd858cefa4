"""The menu's links, drawn here rather than by an included template per link: every page a
signed-in user opens draws ten to fifteen of them, and an include costs more than the link."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from deflection import navigation
from deflection.markup import format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context, links: list[dict]) -> SafeString:
    """Each link as a menu item; the page's own is marked as the current one."""
    path = context["request"].path
    return format_html_join(
        "",
        '<li class="nav-item"><a class="nav-link{}" href="{}"{}>{}</a></li>',
        (
            (" active", link["url"], SafeString(' aria-current="page"'), link["label"])
            if link["url"] == path
            else ("", link["url"], "", link["label"])
            for link in links
        ),
    )


@register.simple_tag
def url_of(name: str) -> str:
    """{% url name %} for a URL without arguments, reversed once (deflection.navigation)."""
    return navigation.url_of(name)
