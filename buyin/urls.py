from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import feedback, recognition

app_name = "buyin"

urlpatterns: list = [
    path("feedback/<id:referral_id>/", feedback.feedback_answer, name="feedback_answer"),
    path("feedback/comments/", feedback.feedback_comments, name="feedback_comments"),
    path("commend/", recognition.commend, name="commend"),
    path("commendations/<id:commendation_id>/naming/", recognition.commendation_naming, name="commendation_naming"),
    path("commendations/<id:commendation_id>/letter.pdf", recognition.commendation_letter, name="commendation_letter"),
    path("recognition/kinds/", recognition.recognition_kinds, name="recognition_kinds"),
    path("recognition/kinds/<id:kind_id>/offer/", recognition.recognition_kind_offer, name="recognition_kind_offer"),
]
