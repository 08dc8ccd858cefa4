from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import pulse

app_name = "buyin"

urlpatterns: list = [
    path("pulse/", pulse.pulse_list, name="pulse_list"),
    path("pulse/new/", pulse.pulse_new, name="pulse_new"),
    path("pulse/<id:survey_id>/", pulse.pulse_answer, name="pulse_answer"),
    path("pulse/<id:survey_id>/results/", pulse.pulse_results_page, name="pulse_results"),
]
