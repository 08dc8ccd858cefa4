from __future__ import annotations

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("log/", views.log_deflection, name="log"),
    path("log/clients/", views.client_search, name="client_search"),
    path("mine/", views.my_deflections, name="mine"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="detail"),
    path("clients/<int:client_id>/", views.client_detail, name="client"),
    path("queue/", views.partner_queue, name="queue"),
]
