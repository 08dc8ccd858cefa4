from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from reports import briefing_views, partner_views, program_views, views

app_name = "reports"

urlpatterns = [
    path("command/", views.command_home, name="command_home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("program/", program_views.program_view, name="program"),
    path("program/digest/", program_views.program_digest_preview, name="program_digest"),
    path("process/", views.process_evaluation, name="process"),
    path("my-record/", views.my_record, name="my_record"),
    path("wins/", views.program_wins, name="wins"),
    path("digest/", views.digest_preview, name="digest_preview"),
    path("digest/send/", views.digest_send_now, name="digest_send"),
    path("briefing/", briefing_views.briefing, name="briefing"),
    path("briefing/print.pdf", briefing_views.briefing_print, name="briefing_pdf"),
    path("stories/new/<id:referral_id>/", views.story_new, name="story_new"),
    path("export/", views.evaluation_export, name="export"),
    path("export/codebook/", views.codebook, name="codebook"),
    path("partners/<id:partner_id>/", partner_views.partner_page, name="partner"),
]
