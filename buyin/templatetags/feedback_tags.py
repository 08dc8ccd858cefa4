"""The question card on a referral's page: referrals' templates show it, buyin decides it."""

from __future__ import annotations

from django import template

from buyin.forms.feedback import FeedbackForm
from buyin.selectors.feedback import FeedbackState, feedback_state

register = template.Library()


@register.inclusion_tag("buyin/_feedback_slot.html", takes_context=True)
def feedback_question(context, referral) -> dict:
    """The card when the question is offered to this user now (feedback_state), else nothing."""
    request = context["request"]
    can_give_feedback = feedback_state(user=request.user, referral=referral) is FeedbackState.OFFERED
    return {
        "can_give_feedback": can_give_feedback,
        "referral": referral,
        "form": FeedbackForm() if can_give_feedback else None,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
