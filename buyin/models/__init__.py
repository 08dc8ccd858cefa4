"""The buy-in tables, one module per topic (feedback, suggestions, pulse surveys, ...)."""

from __future__ import annotations

from buyin.models.feedback import FeedbackObstacle, OfficerFeedback
from buyin.models.pulse import PulseAnswer, PulseParticipation, PulseSurvey

__all__ = ["OfficerFeedback", "FeedbackObstacle", "PulseSurvey", "PulseAnswer", "PulseParticipation"]
