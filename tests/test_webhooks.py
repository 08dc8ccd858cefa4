"""Webhooks for partners' record systems: a change to one of the partner's referrals is
POSTed, signed, with the Task's reference and status only; delivered at least once, retried
with backoff under the same idempotency key; only to https and public addresses unless the
settings allow otherwise; set and watched by the program admin."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone

from api.models import WebhookDelivery
from api.tasks import scan_webhook_events
from api.webhooks import services as webhooks
from api.webhooks.services import MAX_ATTEMPTS, backoff
from api.webhooks.signing import verify
from referrals import services
from referrals.models import CaseEvent, Referral
from tests.factories.fhir import Ehr
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.factories.webhooks import receiver_start

pytestmark = pytest.mark.django_db
LOCAL = override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)


@pytest.fixture
def receiver():
    receiver = receiver_start()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def ehr(cast) -> Ehr:
    return Ehr(cast, cast.partner_y)


@pytest.fixture
def subscribed(cast, ehr, receiver) -> str:
    """Partner Y's system subscribed to the local receiver; its secret."""
    with LOCAL:
        return webhooks.webhook_subscribe(
            actor=cast.program_admin, client_id=ehr.integration.pk, url=receiver.url
        ).secret


def _referral(cast, partner=None) -> Referral:
    return ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=partner or cast.partner_y)


def _one_delivery(cast, receiver, answers: list[int]) -> WebhookDelivery:
    """A referral logged, and the one delivery the scan makes of it; the receiver to answer these."""
    receiver.answers = answers
    _referral(cast)
    webhooks.webhook_deliveries_make()
    return WebhookDelivery.objects.get()


@LOCAL
def test_a_change_is_pushed_signed_with_the_tasks_reference_and_status_only(cast, ehr, receiver, subscribed):
    referral = _referral(cast)
    _referral(cast, partner=cast.partner_x)  # another partner's: not sent
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    scan_webhook_events()  # the periodic task; the workers run at once in tests
    assert len(receiver.received) == 2  # created, then accepted
    for sent in receiver.received:
        assert verify(secret=subscribed, headers=sent.headers, body=sent.body)
        assert abs(int(sent.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
        payload = json.loads(sent.body)
        assert payload["id"] == sent.headers["webhook-id"]
        assert payload["task"] == {"reference": f"Task/{referral.pk}", "status": "accepted"}
        assert set(payload) == {"id", "type", "change", "occurredAt", "task", "focus", "owner", "url"}
    assert [json.loads(s.body)["change"] for s in receiver.received] == ["created", "status_changed"]
    # The receiver reads the Task with its token.
    assert ehr.read(urlsplit(json.loads(receiver.received[0].body)["url"]).path)["status"] == "accepted"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@LOCAL
def test_the_scan_makes_one_delivery_per_event_however_often_it_runs(cast, ehr, receiver, subscribed):
    before = _referral(cast)
    CaseEvent.objects.filter(referral=before).update(created_at=timezone.now() - timedelta(hours=1))
    webhooks.webhook_deliveries_make()  # the subscription is newer than that referral's event
    assert WebhookDelivery.objects.count() == 0
    referral = _referral(cast)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    assert webhooks.webhook_deliveries_make() == 2
    assert webhooks.webhook_deliveries_make() == 0
    assert WebhookDelivery.objects.count() == 2


@LOCAL
def test_a_failed_delivery_is_retried_with_backoff_under_the_same_key_until_it_arrives(cast, receiver, subscribed):
    delivery = _one_delivery(cast, receiver, [503, 500])
    now = timezone.now()
    first = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now)
    assert (first.delivered, first.retry_in) == (False, backoff(1)) and backoff(1) == timedelta(seconds=30)
    # Not due yet: a second worker (or an early retry) sends nothing.
    assert webhooks.webhook_deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=10)).retry_in is None
    second = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=30))
    assert second.retry_in == timedelta(minutes=1)
    third = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=90))
    assert third.delivered
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_result) == ("delivered", 3, "2xx")
    keys = {sent.headers["webhook-id"] for sent in receiver.received}
    assert keys == {str(delivery.key)} and len({sent.body for sent in receiver.received}) == 1
    assert len({sent.headers["webhook-signature"] for sent in receiver.received}) == 3  # timestamps differ
    assert all(verify(secret=subscribed, headers=sent.headers, body=sent.body) for sent in receiver.received)


def test_the_backoff_doubles_up_to_an_hour_and_gives_up_after_its_attempts():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(MAX_ATTEMPTS) == timedelta(hours=1)
    total = sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=10) < total < timedelta(hours=24)


@LOCAL
def test_a_delivery_that_never_arrives_is_given_up(cast, receiver, subscribed):
    receiver.answers = [500] * MAX_ATTEMPTS
    _referral(cast)
    webhooks.webhook_deliveries_make()
    delivery = WebhookDelivery.objects.get()
    moment = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        result = webhooks.webhook_deliver(delivery_id=delivery.pk, now=moment)
        moment += result.retry_in or timedelta(0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_result) == ("failed", MAX_ATTEMPTS, "HTTP 500")


@LOCAL
def test_a_redirect_is_not_followed(cast, receiver, subscribed):
    delivery = _one_delivery(cast, receiver, [302])
    assert not webhooks.webhook_deliver(delivery_id=delivery.pk).delivered
    delivery.refresh_from_db()
    assert delivery.last_result == "HTTP 302" and len(receiver.received) == 1


@LOCAL
def test_nothing_is_sent_for_a_revoked_client_or_a_removed_webhook(cast, ehr, receiver, subscribed):
    _referral(cast)
    webhooks.webhook_deliveries_make()
    webhooks.webhook_remove(actor=cast.program_admin, client_id=ehr.integration.pk)
    delivery = WebhookDelivery.objects.get()
    webhooks.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and receiver.received == []
    _referral(cast)
    assert webhooks.webhook_deliveries_make() == 0


@pytest.mark.parametrize(
    ("url", "allow_http", "allow_private", "refused"),
    [
        ("http://8.8.8.8/hook", False, False, "must start with https"),
        ("ftp://8.8.8.8/hook", True, False, "must start with https"),
        ("https://127.0.0.1/hook", False, False, "private or local"),
        ("https://10.1.2.3/hook", False, False, "private or local"),
        ("https://169.254.169.254/latest/", False, False, "private or local"),
        ("https://[::1]/hook", False, False, "private or local"),
        ("https://user:pass@8.8.8.8/hook", False, False, "no user name"),
        ("https://127.0.0.1/hook", False, True, ""),
        ("https://8.8.8.8/hook", False, False, ""),
    ],
)
def test_a_webhook_goes_to_https_and_public_addresses_unless_settings_allow(
    cast, ehr, url, allow_http, allow_private, refused
):
    from django.core.exceptions import ValidationError

    with override_settings(WEBHOOK_ALLOW_HTTP=allow_http, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=allow_private):
        if refused:
            with pytest.raises(ValidationError, match=refused):
                webhooks.webhook_subscribe(actor=cast.program_admin, client_id=ehr.integration.pk, url=url)
        else:
            webhooks.webhook_subscribe(actor=cast.program_admin, client_id=ehr.integration.pk, url=url)


def test_the_address_is_checked_again_before_each_attempt(cast, receiver, subscribed):
    delivery = _one_delivery(cast, receiver, [])
    webhooks.webhook_deliver(delivery_id=delivery.pk)  # the settings no longer allow a local address
    delivery.refresh_from_db()
    assert delivery.last_result == "The URL points at a private or local address." and receiver.received == []


def test_webhooks_are_for_partners_systems(cast):
    from django.core.exceptions import ValidationError

    from tests.factories.api import integration_client

    agency_client, _token = integration_client(cast, agency=cast.agency_a)
    with pytest.raises(ValidationError):
        webhooks.webhook_subscribe(actor=cast.program_admin, client_id=agency_client.pk, url="https://8.8.8.8/h")
    with pytest.raises(ValidationError):
        webhooks.webhook_subscribe(actor=cast.case_manager_y, client_id=agency_client.pk, url="https://8.8.8.8/h")
    assert cast.login("program_admin").get(f"/integrations/{agency_client.pk}/webhook/").status_code == 404


@LOCAL
def test_the_program_admin_sets_a_webhook_sees_its_secret_once_and_watches_its_deliveries(cast, ehr, receiver):
    admin = cast.login("program_admin")
    assert f"/integrations/{ehr.integration.pk}/webhook/" in admin.get("/integrations/").content.decode()
    sent = {"url": receiver.url, "form_key": str(uuid.uuid4())}
    answer = admin.post(f"/integrations/{ehr.integration.pk}/webhook/subscribe/", sent)
    assert answer.status_code == 200
    secret = ehr.integration.webhook.secret
    assert secret in answer.content.decode()
    # A reload of the secret's page sends the form again: the secret copied stays the one.
    again = admin.post(f"/integrations/{ehr.integration.pk}/webhook/subscribe/", sent, follow=True)
    assert "This form was sent already" in again.content.decode()
    ehr.integration.webhook.refresh_from_db()
    assert ehr.integration.webhook.secret == secret
    _referral(cast)
    scan_webhook_events()
    page = admin.get(f"/integrations/{ehr.integration.pk}/webhook/").content.decode()
    assert secret not in page and receiver.url in page and "Delivered" in page
    bad = admin.post(
        f"/integrations/{ehr.integration.pk}/webhook/subscribe/", {"url": "not a url", "form_key": str(uuid.uuid4())}
    )
    assert bad.status_code == 422
    removed = admin.post(f"/integrations/{ehr.integration.pk}/webhook/remove/")
    assert removed.status_code == 302
    ehr.integration.webhook.refresh_from_db()
    assert not ehr.integration.webhook.is_active


@LOCAL
def test_the_worker_has_celery_retry_it_after_the_backoff(cast, receiver, subscribed):
    from unittest import mock

    from celery.exceptions import Retry

    from api.tasks import deliver_webhook

    delivery = _one_delivery(cast, receiver, [503])
    with mock.patch.object(deliver_webhook, "retry", side_effect=Retry()) as retry:
        with pytest.raises(Retry):
            deliver_webhook.run(delivery.pk)
    retry.assert_called_once()
    assert 29 <= retry.call_args.kwargs["countdown"] <= 30
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_result) == ("pending", 1, "HTTP 503")
