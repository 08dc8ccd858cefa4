"""The question after a deflection (answered in one tap), and its sentences for the program admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buyin.forms.feedback import FeedbackForm
from buyin.models import OfficerFeedback
from buyin.selectors.feedback import FeedbackState, feedback_comments_for, feedback_state
from buyin.services.feedback import FeedbackAlreadyGiven, FeedbackNotOffered, feedback_record
from deflection.models import User
from deflection.permissions import FIELD_ROLES, roles_required
from referrals import selectors as referral_selectors
from referrals.models import Pathway


@roles_required(*FIELD_ROLES)
@require_POST
def feedback_answer(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One tap on the card: an answer or a skip. htmx swaps the card for a thank-you;
    without JavaScript the officer is sent back to the referral, where the card is gone."""
    user: User = request.user  # type: ignore[assignment]
    referral = referral_selectors.referral_get_for_user(user=user, referral_id=referral_id)
    state = feedback_state(user=user, referral=referral)
    if state is FeedbackState.ANSWERED:
        return _already(request, referral.pk)
    if state is not FeedbackState.OFFERED:
        raise Http404  # never 403: the question is simply not there for this user
    form = FeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback = feedback_record(
                user=user, referral=referral, ease=data["ease"], obstacles=data["obstacles"], comment=data["comment"]
            )
        except FeedbackAlreadyGiven:
            return _already(request, referral.pk)
        except FeedbackNotOffered:
            raise Http404 from None
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if feedback.ease:
                said = _("Thank you. Your answer helps make deflection easier.")
            else:
                said = _("Skipped; not asked again this shift.")
            return _done(request, referral.pk, said)
    # Refused (a sentence naming the client): the card again, its error tied to the field.
    context = {"form": form, "referral": referral, "details_open": True}
    if request.headers.get("HX-Request"):
        return render(request, "buyin/_feedback_card.html", context)
    return render(request, "buyin/feedback_form.html", context, status=422)


def _already(request: HttpRequest, referral_id: int) -> HttpResponse:
    """A double tap, or the form sent again: the first answer stands."""
    return _done(request, referral_id, _("You already answered this one; nothing was changed."), level=messages.INFO)


def _done(request: HttpRequest, referral_id: int, said: str, level: int = messages.SUCCESS) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "buyin/_feedback_thanks.html", {"said": said})
    messages.add_message(request, level, said)
    return redirect("referrals:detail", referral_id=referral_id)


@dataclass(frozen=True)
class CommentRow:
    """One sentence as the program admin reads it: never who wrote it, nor about whom."""

    month: date
    ease: str
    obstacles: list[str]
    pathway: str
    comment: str


@login_required
def feedback_comments(request: HttpRequest) -> HttpResponse:
    """The officers' sentences, newest first, for program administration only."""
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(feedback_comments_for(user=user), settings.DEFLECTION["PAGE_SIZE"]).get_page(
        request.GET.get("page")
    )
    rows = [_comment_row(feedback) for feedback in page]
    return render(request, "buyin/feedback_comments.html", {"page": page, "rows": rows})


def _comment_row(feedback: OfficerFeedback) -> CommentRow:
    return CommentRow(
        month=timezone.localdate(feedback.answered_at).replace(day=1),
        ease=feedback.get_ease_display(),
        obstacles=[str(o) for o in feedback.obstacles.all()],
        pathway=str(Pathway(feedback.pathway).label) if feedback.pathway in Pathway.values else "",
        comment=feedback.comment,
    )
