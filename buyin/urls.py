from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from buyin.views import feedback

app_name = "buyin"

urlpatterns: list = [
    path("feedback/<id:referral_id>/", feedback.feedback_answer, name="feedback_answer"),
    path("feedback/comments/", feedback.feedback_comments, name="feedback_comments"),
]
