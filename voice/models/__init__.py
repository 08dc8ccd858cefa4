"""The voice's tables, one module per topic (feedback, suggestions, pulse surveys)."""

from __future__ import annotations

from voice.models.feedback import DeflectionFeedback, FeedbackObstacle

__all__ = ["DeflectionFeedback", "FeedbackObstacle"]
