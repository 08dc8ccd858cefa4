"""The program admin's page for a partner's webhook: its URL (a new one makes a new secret,
shown once, on the answer to the POST), removing it, and the latest deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import selectors as client_selectors
from api.models import IntegrationClient
from api.webhooks import selectors, services
from api.webhooks.forms import WebhookForm
from deflection.models import User
from deflection.permissions import may_manage_integrations

ALREADY_SENT = gettext_lazy(
    "This form was sent already, and its secret was made then; it was shown once. If nobody copied "
    "it, set the URL again for a new secret."
)


def _client(request: HttpRequest, client_id: int) -> tuple[User, IntegrationClient]:
    user: User = request.user  # type: ignore[assignment]
    if not may_manage_integrations(user):
        raise Http404
    client = client_selectors.integration_client_get_for_user(user=user, client_id=client_id)
    if not client.is_partner_client:
        raise Http404  # push is for partners' record systems
    return user, client


def _page(request: HttpRequest, user: User, client: IntegrationClient, form: WebhookForm, status: int = 200):
    context = {
        "client": client,
        "form": form,
        "webhook": selectors.webhook_for_client(user=user, client=client),
        "deliveries": selectors.deliveries_for_client(user=user, client=client),
    }
    return render(request, "api/webhook.html", context, status=status)


@login_required
def webhook(request: HttpRequest, client_id: int) -> HttpResponse:
    user, client = _client(request, client_id)
    return _page(request, user, client, WebhookForm())


@login_required
@require_POST
def webhook_subscribe(request: HttpRequest, client_id: int) -> HttpResponse:
    user, client = _client(request, client_id)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            subscribed = form.send_once(
                lambda: services.webhook_subscribe(actor=user, client_id=client.pk, url=form.cleaned_data["url"])
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "url" in error.error_dict:
                form.add_error("url", error.error_dict["url"])
            else:
                form.add_error(None, error)
        else:
            if subscribed is None:
                messages.warning(request, ALREADY_SENT)
                return redirect("webhooks:edit", client_id=client.pk)
            # Shown in this answer only, like a token: never in a redirect, the session or a message.
            context = {"client": client, "webhook": subscribed.subscription, "secret": subscribed.secret}
            return render(request, "api/webhook_secret.html", context)
    return _page(request, user, client, form, status=422)


@login_required
@require_POST
def webhook_remove(request: HttpRequest, client_id: int) -> HttpResponse:
    user, client = _client(request, client_id)
    services.webhook_remove(actor=user, client_id=client.pk)
    messages.success(request, _("%(name)s's webhook is removed: nothing more is sent to it.") % {"name": client.name})
    return redirect("webhooks:edit", client_id=client.pk)
