"""The buy-in tables, one module per topic (feedback, suggestions, pulse surveys, ...)."""

from __future__ import annotations

from buyin.models.feedback import FeedbackObstacle, OfficerFeedback
from buyin.models.suggestions import ChangeMade, Suggestion, SuggestionEvent

__all__ = ["OfficerFeedback", "FeedbackObstacle", "Suggestion", "SuggestionEvent", "ChangeMade"]
