from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from deflection import permissions
from deflection.navigation import url_of

# The main menu, in order: (the permissions.menu() flag that shows it, URL name, words). The
# core names the apps' pages by URL name only. On a wide screen MENU's links, each role's
# everyday pages, sit on the bar, and MORE_MENU's, opened now and then, under "More" with the
# suggestions, the administration and the demo's mail, so that every role's bar is one row
# from 992 px wide, in Spanish too. A link moved between the two lists moves on the bar only:
# a phone's menu lists them all, these first.
MENU = [
    ("can_log_deflection", "referrals:log", _("Log a deflection")),
    ("can_log_deflection", "referrals:mine", _("My deflections")),
    ("can_see_unit_dashboard", "reports:dashboard", _("Unit dashboard")),
    ("can_work_queue", "referrals:queue", _("Partner queue")),
    ("can_see_command_home", "reports:command_home", _("Program at a glance")),
    ("can_see_dashboard", "reports:dashboard", _("Dashboard")),
    ("can_see_program", "reports:program", _("Program")),
    ("can_see_partners", "partners:list", _("Partners")),
]
MORE_MENU = [
    ("can_log_deflection", "reports:my_record", _("My record")),
    ("can_see_wins", "reports:wins", _("Program wins")),
    ("can_see_process_evaluation", "reports:process", _("Process evaluation")),
    ("can_see_briefing", "reports:briefing", _("Roll-call briefing")),
    ("can_lead_buyin", "buyin:training", _("Training")),
    ("can_see_pulse_surveys", "buyin:pulse_list", _("Pulse surveys")),
    ("can_read_feedback_comments", "buyin:feedback_comments", _("Officers' feedback")),
    ("can_commend", "buyin:commend", _("Commend an officer")),
    ("can_triage_suggestions", "buyin:suggestion_triage", _("Suggestions to answer")),
    ("can_manage_integrations", "integrations:list", _("Integrations")),
]
# Each signed-in user's own settings, in the menu under their name.
ACCOUNT_MENU = [
    ("password_change", _("Change password")),
    ("two_factor", _("Two-factor sign-in")),
    ("language", _("Language")),
]


def deployment(request: HttpRequest) -> dict:
    # The idle limit, for offline.js to warn before a session with deflections waiting ends.
    return {"DEMO_MODE": settings.DEMO_MODE, "SESSION_IDLE_SECONDS": settings.SESSION_IDLE_SECONDS}


def _links(user) -> dict:
    flags = permissions.menu(user)

    def offered(menu: list) -> list[dict]:
        return [{"url": url_of(name), "label": label} for flag, name, label in menu if flags.get(flag)]

    return {
        "main": offered(MENU),
        "more": offered(MORE_MENU),
        "account": [{"url": url_of(name), "label": label} for name, label in ACCOUNT_MENU],
        **flags,
    }


def navigation(request: HttpRequest) -> dict:
    """The main menu's links for the signed-in user (worked out only if a page shows the menu)."""
    return {"nav": SimpleLazyObject(lambda: _links(request.user))}
