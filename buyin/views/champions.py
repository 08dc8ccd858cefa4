"""Champions: who champions deflection in each unit, their history, naming and ending them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buyin.forms.champions import ChampionEndForm, ChampionForm
from buyin.selectors.champions import agency_today, champion_get_for_user, champion_history
from buyin.services.champions import champion_end as end_champion
from buyin.services.champions import champion_set
from buyin.views.common import led_agency


def _back(agency_id: int) -> HttpResponse:
    return redirect(f"{reverse('buyin:champions')}?agency={agency_id}")


@login_required
@require_http_methods(["GET", "POST"])
def champions(request: HttpRequest) -> HttpResponse:
    """The agency's champions, current and past, and the form to name one."""
    agency, agencies = led_agency(request)
    form = ChampionForm(request.POST or None, agency_id=agency.pk, initial={"since": agency_today(agency)})
    if request.method == "POST" and form.is_valid():
        try:
            champion = champion_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            named = {"name": champion.user.get_full_name(), "unit": champion.unit.name}
            if champion.since > agency_today(agency):
                named["date"] = date_format(champion.since, "DATE_FORMAT")
                messages.success(request, _("%(name)s will be a champion of %(unit)s from %(date)s.") % named)
            else:
                messages.success(request, _("%(name)s is a champion of %(unit)s.") % named)
            return _back(agency.pk)
    today = agency_today(agency)
    # (champion, serving today, yet to start): one named from a later day is not yet the unit's.
    history = [(c, c.serves_on(today), c.since > today) for c in champion_history(agency_id=agency.pk)]
    return render(
        request,
        "buyin/champions.html",
        {
            "agency": agency,
            "agencies": agencies,
            "form": form,
            "history": history,
            "end_form": ChampionEndForm(initial={"until": today}),
        },
    )


@login_required
@require_POST
def champion_end(request: HttpRequest, champion_id: int) -> HttpResponse:
    """End a champion's time (until the given day); the history keeps it."""
    champion = champion_get_for_user(user=request.user, champion_id=champion_id)
    form = ChampionEndForm(request.POST)
    if form.is_valid():
        try:
            end_champion(actor=request.user, champion=champion, until=form.cleaned_data["until"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            name = champion.user.get_full_name()
            messages.success(request, _("%(name)s's time as champion is ended.") % {"name": name})
    else:
        messages.error(request, _("Give the day their time as champion ends."))
    return _back(champion.unit.agency_id)
