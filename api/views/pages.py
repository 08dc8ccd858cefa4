"""The program admin's pages for integration clients: the list, a new one (its token shown
once, on the answer to the POST and never again) and revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import IntegrationClientForm
from deflection.models import User
from deflection.permissions import may_manage_integrations

ALREADY_SENT = gettext_lazy(
    "This form was sent already, and its client was made then; its token was shown once. If nobody "
    "copied it, revoke that client and make a new one."
)


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_manage_integrations(user):
        raise Http404
    return user


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    clients = selectors.integration_client_list_for_user(user=user)
    now = timezone.now()
    rows = [(client, client.state(now)) for client in clients]
    return render(request, "api/integration_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = IntegrationClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = form.send_once(
                lambda: services.integration_client_create(
                    actor=user, name=form.cleaned_data["name"], expires_at=form.expires_at(), **form.scope()
                )
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                form.add_error("expires_on", error.error_dict["expires_at"])
            else:
                form.add_error(None, error)
        else:
            if created is None:
                messages.warning(request, ALREADY_SENT)
                return redirect("integrations:list")
            # Shown in this answer only: not in a redirect's URL, the session or a message,
            # which would keep it. The page is marked no-store like every signed-in page.
            return render(request, "api/integration_created.html", {"client": created.client, "token": created.token})
    return render(request, "api/integration_form.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_POST
def client_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _admin(request)
    client = selectors.integration_client_get_for_user(user=user, client_id=client_id)
    if request.POST.get("confirm") != "yes":
        # A system stops working at once and for good: the admin sees which one first.
        return render(request, "api/integration_revoke.html", {"client": client})
    services.integration_client_revoke(actor=user, client_id=client.pk)
    messages.success(
        request,
        _("%(name)s (token dfl_%(prefix)s_…) is revoked: its token no longer works.")
        % {"name": client.name, "prefix": client.token_prefix},
    )
    return redirect("integrations:list")
