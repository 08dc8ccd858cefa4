from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import feedback, suggestions

app_name = "buyin"

urlpatterns: list = [
    path("suggestions/new/", suggestions.suggestion_new, name="suggestion_new"),
    path("suggestions/mine/", suggestions.suggestions_mine, name="suggestions_mine"),
    path("suggestions/mine/read/", suggestions.suggestions_mark_read, name="suggestions_mark_read"),
    path("suggestions/", suggestions.suggestion_triage, name="suggestion_triage"),
    path("suggestions/<id:suggestion_id>/", suggestions.suggestion_detail, name="suggestion_detail"),
    path("suggestions/<id:suggestion_id>/<slug:action>/", suggestions.suggestion_act, name="suggestion_act"),
    path("you-said-we-did/", suggestions.you_said_we_did, name="you_said_we_did"),
    path("you-said-we-did/new/", suggestions.change_new, name="change_new"),
    path("feedback/<id:referral_id>/", feedback.feedback_answer, name="feedback_answer"),
    path("feedback/comments/", feedback.feedback_comments, name="feedback_comments"),
]
