"""The buy-in tables, one module per topic (feedback, suggestions, pulse surveys, ...)."""

from __future__ import annotations

from buyin.models.champions import Champion
from buyin.models.feedback import FeedbackObstacle, OfficerFeedback
from buyin.models.pulse import PulseAnswer, PulseParticipation, PulseSurvey
from buyin.models.recognition import Commendation, RecognitionKind
from buyin.models.suggestions import ChangeMade, Suggestion, SuggestionEvent
from buyin.models.training import TrainingAttendance, TrainingSession

__all__ = [
    "OfficerFeedback",
    "FeedbackObstacle",
    "TrainingSession",
    "TrainingAttendance",
    "Champion",
    "PulseSurvey",
    "PulseAnswer",
    "PulseParticipation",
    "RecognitionKind",
    "Commendation",
    "Suggestion",
    "SuggestionEvent",
    "ChangeMade",
]
