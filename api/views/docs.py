"""The API's reference page: Swagger UI from static files (the sidecar package's), started by
a static script, so the page needs no inline script or style and the CSP stays as it is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
