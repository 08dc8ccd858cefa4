"""WCAG 2.1 A and AA, checked by axe-core on every page each role uses, at phone size, in the
light and the dark colour scheme, with reflow (no page wider than the phone), which axe does not
check; and an officer's deflection logged with the keyboard alone.

axe-core comes from the axe-playwright-python package (its own copy of axe.min.js), and is
injected only here: the pages themselves never load it. The axe contexts bypass the
Content-Security-Policy, which would otherwise refuse the injected script.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals import services
from referrals.models import FollowUp, Pathway, Referral
from tests.browser import helpers
from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE
from tests.factories.buyin import TrainingSessionFactory
from tests.factories.referrals import (
    ClientFactory,
    JusticeAgencyFactory,
    OfficerFactory,
    ReferralFactory,
    consent_given,
    held_charge_on,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ("light", "dark")
FOLLOWED = "(s) => [undefined, s].includes(document.documentElement.dataset.bsTheme)"
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; animation: none !important; }"
SEARCHED = ("Rosalind", "Achterberg")
# Set DEFLECTION_SHOTS=/some/dir to keep a full-page screenshot of each page checked.
SHOTS = os.environ.get("DEFLECTION_SHOTS", "")


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line per element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {', '.join(map(str, node['target']))}: {why(node)}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


def too_wide(page) -> list[str]:
    """WCAG 1.4.10 (reflow), which axe does not check: nothing makes the page scroll sideways
    on the phone (a wide table scrolls inside its own box)."""
    wide, screen = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return [f"reflow: the page is {wide} px wide on a {screen} px screen"] if wide > screen else []


def why(node: dict) -> str:
    checks = node.get("any") or node.get("all") or node.get("none") or [{}]
    return str(checks[0].get("message", ""))[:160]


def unfold(page) -> None:
    """Open every fold (the menu, the casework forms, the new-client fields), so that what
    sits behind one is checked too."""
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


@pytest.fixture
def axe_pages(browser, live_server) -> Iterator[Callable]:
    """A phone in a colour scheme, for checking pages with axe (Checker switches it)."""
    contexts = []

    def make(scheme: str = SCHEMES[0]):
        context = browser.new_context(base_url=live_server.url, color_scheme=scheme, bypass_csp=True, **PHONE)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str) -> None:
    helpers.sign_in(page, username, touch=False)


class Checker:
    """Visits pages and gathers axe's findings by page, in each colour scheme: the page is
    loaded once and the phone's setting switched under it (app.js follows the change, as it
    does on a phone)."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        unfold(self.page)
        # Colours then change at once: axe reads them final, not halfway through a transition.
        self.page.add_style_tag(content=NO_TRANSITIONS)
        for scheme in SCHEMES:
            self.page.emulate_media(color_scheme=scheme)
            # Where app.js runs, it follows the change (the rest of the page's colours are CSS's).
            self.page.wait_for_function(FOLLOWED, arg=scheme)
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                slug = re.sub(r"\W+", "-", f"{name}-{scheme}").strip("-")
                self.page.screenshot(path=str(Path(SHOTS) / f"axe-{slug}.png"), full_page=True)
            self.found[f"{name} [{scheme}]"] = axe_violations(self.page) + too_wide(self.page)
        self.page.emulate_media(color_scheme=SCHEMES[0])

    def visit(self, path: str, name: str | None = None, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == status, path
        self.check(name or path)

    def submit(self, button, name: str, status: int = 200) -> None:
        """Send a form with its button and check the page that answers it."""
        with self.page.expect_navigation() as answered:
            button.click()
        response = answered.value
        assert response is not None and response.status == status, name
        self.check(name)


def assert_clean(checkers: list[Checker]) -> None:
    found = {page: lines for c in checkers for page, lines in c.found.items()}
    print("\nWCAG 2.1 AA violations (axe's elements, and reflow) per page:")
    for page, lines in found.items():
        print(f"  {len(lines):3d}  {page}")
    failures = [f"{page}: {line}" for page, lines in found.items() for line in lines]
    assert not failures, "WCAG 2.1 A/AA violations found:\n" + "\n".join(failures)


@pytest.fixture
def program(cast):
    """A program with some history: ten weeks of deflections on every pathway, referrals to
    partner Y in every state of the lifecycle, consents and follow-ups."""
    officer = OfficerFactory(user=cast.officer_a1)
    colleague = OfficerFactory(user=cast.officer_a2)
    now = timezone.now()
    pathways = list(Pathway.values)
    for i in range(48):
        ReferralFactory(
            officer=officer if i % 3 else colleague,
            partner=cast.partner_y if i % 2 else cast.partner_x,
            pathway=pathways[i % len(pathways)],
            occurred_at=now - timedelta(days=1 + i * 1.4),
            charge_deflected="Possession" if i % 4 == 0 else "",
            naloxone_administered=i % 7 == 0,
        )
    client = ClientFactory(agency=cast.agency_a, first_name=SEARCHED[0], last_name=SEARCHED[1])
    cm = cast.case_manager_y

    def routed(**extra) -> Referral:
        return ReferralFactory(
            officer=officer, partner=cast.partner_y, client=client, occurred_at=now - timedelta(days=20), **extra
        )

    requested = routed(pathway=Pathway.ACTIVE_OUTREACH, note="Agreed to go to the clinic after a welfare check.")
    accepted = routed(pathway=Pathway.NALOXONE_PLUS, naloxone_administered=True)
    services.referral_accept(referral_id=accepted.pk, actor=cm)
    working = routed(pathway=Pathway.SELF_REFERRAL, presenting_needs=["substance_use", "housing"], warm_handoff=True)
    services.referral_accept(referral_id=working.pk, actor=cm)
    services.referral_record_intake(referral_id=working.pk, actor=cm, intake_at=now - timedelta(days=15))
    consent_given(working, cm, recipient_partner_ids=[cast.partner_x.pk])
    check = services.follow_up_create(
        referral_id=working.pk, actor=cm, kind=FollowUp.Kind.CHECK_72H, due_at=now - timedelta(days=12)
    )
    services.follow_up_complete(follow_up_id=check.pk, actor=cm, outcome=FollowUp.Outcome.ENGAGED, note="Doing well")
    closed = routed(pathway=Pathway.OFFICER_INTERVENTION)
    services.referral_accept(referral_id=closed.pk, actor=cm)
    services.referral_record_intake(referral_id=closed.pk, actor=cm, intake_at=now - timedelta(days=18))
    services.referral_complete(referral_id=closed.pk, actor=cm, note="Finished the programme")
    # A charge held on an intervention, its condition met, the county attorney not yet told.
    charged = routed(pathway=Pathway.OFFICER_INTERVENTION)
    held_charge_on(charged, JusticeAgencyFactory(name="County Attorney", agencies=[cast.agency_a]))
    services.referral_accept(referral_id=charged.pk, actor=cm)
    services.referral_record_intake(referral_id=charged.pk, actor=cm, intake_at=now - timedelta(days=10))
    return {
        "requested": requested,
        "accepted": accepted,
        "working": working,
        "closed": closed,
        "charged": charged,
        "client": client,
    }


def test_the_officers_pages_pass_wcag_aa(cast, program, axe_pages):
    c = Checker(axe_pages())
    sign_in(c.page, "officer_a1")
    c.visit("/log/", "log")
    search = c.page.get_by_role("searchbox", name="Find the client")
    search.fill(" ".join(SEARCHED))
    search.press("Enter")
    c.page.locator(f"#client-results input[name=client][value='{program['client'].pk}']").wait_for()
    c.check("log with search results")
    c.page.goto("/log/")
    c.page.get_by_role("radio", name="Officer intervention referral").check()
    c.page.locator("#held-charge-fields").wait_for(state="visible")
    c.check("log with a charge held")
    c.page.goto("/log/")
    c.page.get_by_role("button", name="Save deflection").click()
    c.page.locator("#error-summary").wait_for()
    c.check("log with errors")
    c.visit("/mine/", "my deflections")
    c.visit(f"/referrals/{program['working'].pk}/", "referral")
    c.visit(f"/clients/{program['client'].pk}/", "client")
    c.visit(f"/referrals/{program['charged'].pk}/", "referral with a charge held")
    c.visit("/reports/my-record/", "my record")
    c.visit(f"/referrals/{program['requested'].pk}/consent/", "consent form")
    assert_clean([c])


def test_the_case_managers_pages_pass_wcag_aa(cast, program, axe_pages):
    c = Checker(axe_pages())
    sign_in(c.page, "cm_y")
    c.visit("/queue/", "queue")
    for state in ("requested", "accepted", "working", "closed", "charged"):
        c.visit(f"/referrals/{program[state].pk}/", f"casework ({state})")
    c.visit(f"/referrals/{program['accepted'].pk}/consent/", "consent form")
    c.visit(f"/referrals/{program['charged'].pk}/consent/criminal-justice/", "criminal-justice consent form")
    assert_clean([c])


def test_command_and_admin_pages_pass_wcag_aa(cast, program, axe_pages):
    c = Checker(axe_pages())
    sign_in(c.page, "command_a")
    for path, name in [
        ("/reports/command/", "command home"),
        ("/reports/dashboard/", "dashboard"),
        ("/reports/process/", "process evaluation"),
        ("/reports/digest/", "digest preview"),
        ("/reports/briefing/", "roll-call briefing"),
        ("/reports/export/", "export"),
        ("/reports/export/codebook/", "codebook"),
    ]:
        c.visit(path, name)
    a = Checker(axe_pages())
    sign_in(a.page, "admin")
    a.visit("/admin/", "admin index")
    a.visit(f"/admin/referrals/client/{program['client'].pk}/change/", "admin client change")
    a.visit("/admin/deflection/accessevent/", "admin access records")
    a.visit("/reports/dashboard/", "admin dashboard")
    from reports.program_digest import months_published_by

    months_published_by(cast.program_1, timezone.now())  # the table, not the page before any month
    r = Checker(axe_pages())
    sign_in(r.page, "coordinator")
    r.visit("/reports/program/", "program view")
    r.visit("/reports/program/digest/", "program digest")
    assert_clean([c, a, r])


def test_the_sign_in_pages_pass_wcag_aa(cast, axe_pages):
    c = Checker(axe_pages())
    c.visit("/accounts/login/", "sign in")
    c.page.get_by_label("Username").fill("officer_a1")
    c.page.get_by_label("Password").fill("not-the-password")
    c.page.get_by_role("button", name="Sign in").click()
    c.page.get_by_label("Username").wait_for()
    c.check("sign in, wrong password")
    sign_in(c.page, "officer_a1")
    c.visit("/accounts/password/", "password change")
    c.visit("/accounts/two-factor/", "two-factor setup")
    TOTPDevice.objects.create(user=cast.supervisor_a, name="phone", confirmed=True)
    v = Checker(axe_pages())
    helpers.submit_sign_in(v.page, "supervisor_a", touch=False)
    v.page.wait_for_url(re.compile(r"/accounts/two-factor/code/"))
    v.check("two-factor code")
    assert_clean([c, v])


# Every control's tap target: a link's or button's own box; a radio's or checkbox's, the
# box around it that a tap anywhere in picks it (the choice-box pattern), checked by asking
# the page what a tap at the box's corners would hit. What is visually hidden (the log form's
# copy of its save, which Enter presses) is nobody's tap target.
TAP_TARGETS = """() => {
  const out = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
    getComputedStyle(el).visibility !== "hidden"; };
  const name = (el) => (el.innerText || el.value || el.getAttribute("aria-label") || el.id || "")
    .trim().slice(0, 40);
  const controls = "main a[href], main button, main summary, main select, nav a[href], nav button, nav summary," +
    " main input[type=radio], main input[type=checkbox]";
  document.querySelectorAll(controls).forEach((el) => {
    if (!visible(el) || el.closest(".visually-hidden, .visually-hidden-focusable")) return;
    let box = el;
    if (el.matches("input")) {
      const container = el.closest(".form-check, .client-result") || el;
      container.scrollIntoView({block: "center", behavior: "instant"});
      const r = container.getBoundingClientRect();
      const hits = [[r.left + 3, r.top + 3], [r.right - 3, r.bottom - 3], [r.right - 3, r.top + 3]].every(([x, y]) => {
        const hit = document.elementFromPoint(x, y);
        const label = hit && hit.closest("label");
        return hit === el || (label && (label.htmlFor === el.id || label.contains(el)));
      });
      box = hits ? container : el;
    }
    const r = box.getBoundingClientRect();
    out.push({tag: el.tagName.toLowerCase() + (el.type && el.matches("input") ? ":" + el.type : ""), name: name(el),
              width: Math.round(r.width), height: Math.round(r.height)});
  });
  return out;
}"""


def small_targets(page, where: str, sizes: dict) -> list[str]:
    unfold(page)
    found = page.evaluate(TAP_TARGETS)
    for t in found:
        key = f"{where}: {t['tag']} {t['name']!r}"
        sizes[key] = (t["width"], t["height"])
    return [
        f"{where}: {t['tag']} {t['name']!r} is {t['width']}x{t['height']}"
        for t in found
        if min(t["width"], t["height"]) < 44
    ]


def test_every_control_an_officer_or_case_manager_taps_is_at_least_44_px_square(cast, program, axe_pages):
    page = axe_pages("light")
    sizes: dict = {}
    small: list[str] = []
    sign_in(page, "officer_a1")
    for path in [
        "/log/",
        "/mine/",
        f"/referrals/{program['working'].pk}/",
        f"/clients/{program['client'].pk}/",
        f"/referrals/{program['charged'].pk}/",
        "/reports/my-record/",
        f"/referrals/{program['requested'].pk}/consent/",
    ]:
        page.goto(path)
        small += small_targets(page, path, sizes)
    page.goto("/log/")
    page.get_by_role("radio", name="Officer intervention referral").check()
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    small += small_targets(page, "/log/ (a charge held)", sizes)
    cm = axe_pages("light")
    sign_in(cm, "cm_y")
    for state in ("requested", "accepted", "working", "closed", "charged"):
        cm.goto(f"/referrals/{program[state].pk}/")
        small += small_targets(cm, f"casework ({state})", sizes)
    for path in [
        "/queue/",
        f"/referrals/{program['accepted'].pk}/consent/",
        f"/referrals/{program['charged'].pk}/consent/criminal-justice/",
    ]:
        cm.goto(path)
        small += small_targets(cm, path, sizes)
    command = axe_pages("light")
    sign_in(command, "command_a")
    for path in ["/reports/command/", "/reports/dashboard/", "/reports/export/"]:
        command.goto(path)
        small += small_targets(command, path, sizes)
    print("\nTap targets (width x height, px):")
    for key, (w, h) in sizes.items():
        print(f"  {w:4d} x {h:3d}  {key}")
    assert not small, "Tap targets under 44x44 px:\n" + "\n".join(small)


# What shows focus on an element: its own outline and shadow, and those of the box a choice
# sits in (a choice box outlines itself when its radio has the focus).
FOCUS_LOOK = """(el) => {
  const look = (e) => { if (!e) return ""; const s = getComputedStyle(e);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor].join("|"); };
  return look(el) + " / " + look(el.closest(".form-check, .client-result"));
}"""


def test_an_officer_logs_a_deflection_with_the_keyboard_alone_and_always_sees_the_focus(cast, program, axe_pages):
    page = axe_pages("light")
    sign_in(page, "officer_a1")
    page.goto("/log/")
    page.wait_for_load_state("networkidle")
    # How every control looks unfocused, to compare with how it looks with the focus on it.
    unfocused = page.evaluate(
        "(controls) => [...document.querySelectorAll(controls)].map((el, i) => { el.dataset.kb = i; return ("
        + FOCUS_LOOK
        + ")(el); })",
        "#log-form a, #log-form input, #log-form select, #log-form textarea, #log-form button, #log-form summary",
    )
    # Someone with no referral open: the save is a new deflection, not a contact on an open one.
    client = ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Quarrington")

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
            seen()
        raise AssertionError(f"Tab never reached {selector}")

    unseen: list[str] = []

    def seen() -> None:
        el = page.evaluate_handle("() => document.activeElement")
        index = el.evaluate("(e) => e.dataset.kb")
        if index is None:
            return  # outside the form (the menu, the skip link) or drawn since (the search results)
        if el.evaluate(FOCUS_LOOK) == unfocused[int(index)]:
            unseen.append(el.evaluate("(e) => e.outerHTML.slice(0, 100)"))

    tab_to("input[name=search]")
    seen()
    page.keyboard.type("Rosalind Quarrington")
    with page.expect_response(lambda r: r.url.endswith("/log/clients/") and r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.locator(f"#client-results input[name=client][value='{client.pk}']").wait_for()
    tab_to("input[name=client]")
    for _ in range(5):
        if page.evaluate("() => document.activeElement.value") == str(client.pk):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator(f"input[name=client][value='{client.pk}']").is_checked()
    tab_to("input[name=pathway]")
    seen()
    page.keyboard.press("ArrowDown")  # the second pathway, picked by the arrow
    seen()
    assert page.locator("input[name=pathway]:checked").get_attribute("value") == Pathway.values[1]
    tab_to("input[name=partner]")
    seen()
    page.keyboard.press("Space")
    assert page.locator("input[name=partner]:checked").get_attribute("value") == str(cast.partner_y.pk)
    tab_to("button[value=save]")
    seen()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    logged = Referral.objects.latest("pk")
    assert (logged.client, logged.pathway, logged.partner) == (client, Pathway.values[1], cast.partner_y)
    assert page.url.endswith(f"/referrals/{logged.pk}/")
    assert not unseen, "Focus not visible on:\n" + "\n".join(unseen)


@pytest.fixture
def voice(cast, program):
    """The buy-in pages' content: officers' sentences (officer A2's: the question is asked once
    a shift, and officer A1 is yet to be asked), suggestions in every state, two closed
    pulse waves of 5 answers (for the trend), a training session and a champion."""
    from buyin.services.suggestions import suggestion_change, suggestion_send
    from tests.factories.buyin import (
        ChampionFactory,
        OfficerFeedbackFactory,
        answered_suggestions,
        answered_waves,
        suggestion_to_answer,
    )
    from tests.factories.core import UserFactory

    for i, referral in enumerate(Referral.objects.filter(officer__user=cast.officer_a2)[:6]):
        OfficerFeedbackFactory(
            referral=referral, ease="harder" if i % 2 else "easier", comment="The partner's line rang out."
        )
    answered_suggestions(cast)
    changed = suggestion_send(author=cast.officer_a1, topic="form", text="Put the partners first.", may_name_me=True)
    suggestion_change(
        suggestion_id=changed.pk,
        actor=cast.program_admin,
        answer="Partners now come first.",
        changed_on=timezone.localdate(),
    )
    people = [
        cast.officer_a1,
        cast.officer_a2,
        cast.supervisor_a,
        *UserFactory.create_batch(2, agency=cast.agency_a, unit=cast.unit_a),
    ]
    answered_waves(cast, people, [(f"Wave {days}", days, [score] * 5) for days, score in ((60, 2), (30, 4))])
    TrainingSessionFactory(agency=cast.agency_a)
    ChampionFactory(unit=cast.unit_a, user=cast.officer_a2)
    return {"suggestion": suggestion_to_answer()}


def test_the_buyin_pages_pass_wcag_aa(cast, program, voice, axe_pages):
    officer = Checker(axe_pages())
    sign_in(officer.page, "officer_a1")
    officer.page.goto("/log/")
    officer.page.get_by_label("First name").fill("Marisol")
    officer.page.get_by_label("Last name").fill("Quintero")
    officer.page.get_by_role("radio", name="Self-referral").check()
    officer.page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
    officer.page.get_by_role("button", name="Save deflection").click()
    officer.page.locator("#feedback-card").wait_for()
    officer.check("feedback card on a freshly logged referral")
    # What the officer taps on the phone: at least 44 px square, like the log form.
    sizes: dict = {}
    small = small_targets(officer.page, "feedback card", sizes)
    for path, name in [
        ("/buyin/suggestions/new/", "suggestion form"),
        ("/buyin/suggestions/mine/", "my suggestions"),
        ("/buyin/you-said-we-did/", "you said, we did"),
    ]:
        officer.visit(path, name)
        small += small_targets(officer.page, name, sizes)
    sergeant = Checker(axe_pages())
    sign_in(sergeant.page, "supervisor_a")
    sergeant.visit("/buyin/commend/", "commend")
    sergeant.visit("/reports/process/", "process evaluation (supervisor)")
    admin = Checker(axe_pages())
    sign_in(admin.page, "program_admin")
    for path, name in [
        ("/buyin/feedback/comments/", "feedback sentences"),
        ("/buyin/suggestions/", "suggestions to answer"),
        (f"/buyin/suggestions/{voice['suggestion'].pk}/", "one suggestion"),
        ("/reports/process/", "process evaluation with suggestions and the pulse trend"),
        ("/partners/", "partners"),
        (f"/reports/partners/{cast.partner_y.pk}/", "partner page"),
        ("/buyin/training/", "training"),
        ("/buyin/champions/", "champions"),
    ]:
        admin.visit(path, name)
    assert_clean([officer, sergeant, admin])
    assert not small, "Tap targets under 44x44 px:\n" + "\n".join(small)
