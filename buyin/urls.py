from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import champions, feedback, pulse, recognition, suggestions, training

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
    path("training/", training.training_list, name="training"),
    path("training/new/", training.training_new, name="training_new"),
    path("training/<id:session_id>/attendance/", training.training_attendance, name="training_attendance"),
    path("champions/", champions.champions, name="champions"),
    path("champions/<id:champion_id>/end/", champions.champion_end, name="champion_end"),
    path("pulse/", pulse.pulse_list, name="pulse_list"),
    path("pulse/new/", pulse.pulse_new, name="pulse_new"),
    path("pulse/<id:survey_id>/", pulse.pulse_answer, name="pulse_answer"),
    path("pulse/<id:survey_id>/results/", pulse.pulse_results_page, name="pulse_results"),
    path("commend/", recognition.commend, name="commend"),
    path("commendations/<id:commendation_id>/naming/", recognition.commendation_naming, name="commendation_naming"),
    path("commendations/<id:commendation_id>/letter.pdf", recognition.commendation_letter, name="commendation_letter"),
    path("recognition/kinds/", recognition.recognition_kinds, name="recognition_kinds"),
    path("recognition/kinds/<id:kind_id>/offer/", recognition.recognition_kind_offer, name="recognition_kind_offer"),
]
