from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import champions, feedback, pulse, recognition, training

app_name = "buyin"

urlpatterns: list = [
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
