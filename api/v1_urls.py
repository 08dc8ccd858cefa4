"""Version 1 of the API: /api/v1/..., URL names api:v1:<name>."""

from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from api.views import agency, common, partner

app_name = "v1"

urlpatterns = [
    path("me/", common.me, name="me"),
    # An agency's records or dispatch system.
    path("deflections/", agency.DeflectionsView.as_view(), name="deflections"),
    path("deflections/<id:referral_id>/", agency.DeflectionView.as_view(), name="deflection"),
    # A partner's record system.
    path("referrals/", partner.ReferralsView.as_view(), name="referrals"),
    path("referrals/<id:referral_id>/", partner.ReferralView.as_view(), name="referral"),
    *(
        path(f"referrals/<id:referral_id>/{step}/", view.as_view(), name=f"referral_{step}")
        for step, view in partner.STEP_VIEWS.items()
    ),
    path("follow-ups/<id:follow_up_id>/complete/", partner.FollowUpCompleteView.as_view(), name="follow_up_complete"),
]
