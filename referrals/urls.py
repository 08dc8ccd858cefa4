from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from referrals import charge_views, offline_views, views

app_name = "referrals"

urlpatterns = [
    path("log/", views.log_deflection, name="log"),
    path("log/clients/", views.client_search, name="client_search"),
    path("log/offline/", offline_views.log_offline, name="log_offline"),
    path("log/send/", offline_views.log_send, name="log_send"),
    path("log/same-person/", offline_views.possible_duplicates, name="possible_duplicates"),
    path("log/same-person/<id:flag_id>/", offline_views.possible_duplicate_answer, name="possible_duplicate_answer"),
    path("mine/", views.my_deflections, name="mine"),
    path("referrals/<id:referral_id>/", views.referral_detail, name="detail"),
    path("referrals/<id:referral_id>/act/<slug:action>/", views.referral_act, name="act"),
    path("referrals/<id:referral_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("referrals/<id:referral_id>/check-ins/", views.check_in_add, name="check_in_add"),
    path("referrals/<id:referral_id>/consent/", views.consent_new, name="consent_new"),
    path("referrals/<id:referral_id>/consent-form.pdf", views.consent_pdf, name="consent_pdf"),
    path("follow-ups/<id:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("consents/<id:consent_id>/revoke/", views.consent_revoke, name="consent_revoke"),
    path(
        "referrals/<id:referral_id>/consent/criminal-justice/",
        charge_views.consent_new_criminal_justice,
        name="consent_new_criminal_justice",
    ),
    path(
        "referrals/<id:referral_id>/criminal-justice-consent-form.pdf",
        charge_views.consent_pdf_criminal_justice,
        name="consent_pdf_criminal_justice",
    ),
    path("charges/<id:charge_id>/satisfied/", charge_views.held_charge_satisfy, name="charge_satisfy"),
    path("charges/<id:charge_id>/withdraw/", charge_views.held_charge_withdraw, name="charge_withdraw"),
    path("charge-notices/<id:notice_id>/letter.pdf", charge_views.charge_notice_pdf, name="charge_notice_pdf"),
    path("clients/<id:client_id>/", views.client_detail, name="client"),
    path("queue/", views.partner_queue, name="queue"),
]
