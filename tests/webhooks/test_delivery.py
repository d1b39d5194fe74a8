"""Deliveries end to end: a committed event reaches a local HTTP receiver signed, is retried with
exponential backoff, and given up 24 hours after the first attempt."""

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from core.metrics import WEBHOOK_DELIVERIES
from monitoring.alerting import publish_alert
from tests.factories.equipment import WorkOrderFactory
from tests.factories.monitoring import AlertFactory
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from workorders.services import announce_created

pytestmark = pytest.mark.django_db


def count(outcome):
    return WEBHOOK_DELIVERIES.labels(outcome=outcome)._value.get()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the events' sinks) as its commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_committed_event_is_posted_signed_with_the_contract_s_headers_and_body(receiver, endpoint_for, committed):
    endpoint = endpoint_for()
    work_order = WorkOrderFactory()
    before = count("succeeded")
    with committed():
        announce_created(work_order)
    [request] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    assert request.signature_ok
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-MediTrack-Event"] == "workorder.created"
    assert request.headers["X-MediTrack-Delivery"] == str(delivery.delivery_id)
    assert set(request.json) == {"id", "type", "at", "data"}
    assert request.json["id"] == str(delivery.delivery_id) and request.json["type"] == "workorder.created"
    datetime.fromisoformat(request.json["at"])
    assert request.json["data"] == {"id": work_order.pk, "work_number": work_order.work_number,
                                    "device": work_order.device_id, "status": work_order.status,
                                    "priority": work_order.priority, "work_type": work_order.work_type}
    assert (delivery.endpoint, delivery.status, delivery.attempts, delivery.last_response_code) == (
        endpoint, DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert count("succeeded") == before + 1


def test_a_500_is_retried_with_the_same_body_and_then_succeeds(receiver, endpoint_for, committed):
    endpoint_for()
    receiver.statuses = [500]
    before = count("retrying"), count("succeeded")
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False) as traveller:
        with committed():
            announce_created(WorkOrderFactory())
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_response_code) == (DeliveryStatus.RETRYING, 1, 500)
        assert delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at == datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC)
        call_command("retry_webhook_deliveries")  # not due yet: nothing sent
        assert len(receiver.requests) == 1
        traveller.move_to(delivery.next_attempt_at)
        call_command("retry_webhook_deliveries")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    assert delivery.last_error == "" and delivery.next_attempt_at is None
    first, second = receiver.requests
    assert first.body == second.body and first.signature_ok and second.signature_ok
    assert first.headers["X-MediTrack-Delivery"] == second.headers["X-MediTrack-Delivery"]
    assert (count("retrying"), count("succeeded")) == (before[0] + 1, before[1] + 1)


def test_gives_up_24_hours_after_the_first_attempt_backing_off_from_30_s_to_an_hour(receiver, endpoint_for, committed):
    endpoint_for()
    receiver.statuses = [503] * 100
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    failed_before = count("failed")
    with time_machine.travel(start, tick=False) as traveller:
        with committed():
            announce_created(WorkOrderFactory())
        delivery = WebhookDelivery.objects.get()
        moments = [start]
        while delivery.status == DeliveryStatus.RETRYING:
            traveller.move_to(delivery.next_attempt_at)
            moments.append(delivery.next_attempt_at)
            call_command("retry_webhook_deliveries")
            delivery.refresh_from_db()
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    assert gaps[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert set(gaps[7:]) == {3600}
    assert moments[-1] <= start + timedelta(hours=24) < moments[-1] + timedelta(hours=1)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 30, None)
    assert len(receiver.requests) == 30 and delivery.last_response_code == 503
    assert count("failed") == failed_before + 1


def test_only_subscribed_types_reach_only_active_endpoints(receiver, endpoint_for, committed):
    subscribed = endpoint_for(event_types=["workorder.status_changed"])
    endpoint_for(event_types=["workorder.created"], is_active=False)
    with committed():
        announce_created(WorkOrderFactory())  # nobody active subscribed to it
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
    engineer_work_order = WorkOrderFactory()
    from workorders.services import workorder_start

    with committed():
        workorder_start(work_order=engineer_work_order, by=engineer_work_order.assigned_to)
    [request] = receiver.requests
    assert request.json["type"] == "workorder.status_changed"
    assert request.json["data"]["status"] == "in_progress"
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [subscribed.pk]


def test_notification_events_are_not_delivered(receiver, endpoint_for):
    endpoint_for()
    services.on_event({"type": "notification.created", "at": "2026-12-01T10:00:00+00:00",
                       "data": {"id": 1, "kind": "x", "title": "For one user"}, "user_ids": [1]})
    assert not WebhookDelivery.objects.exists()


def test_bodies_carry_ids_and_states_never_clinical_free_text(receiver, endpoint_for, committed):
    endpoint_for(event_types=["alert.updated", "workorder.created"])
    alert = AlertFactory(note="Patient reports crushing chest pain since breakfast")
    work_order = WorkOrderFactory(description="Screen cracked after the patient fell on it")
    with committed():
        publish_alert("alert.updated", alert)
        announce_created(work_order)
    bodies = [request.body.decode() for request in receiver.requests]
    assert len(bodies) == 2
    for body in bodies:
        assert "chest pain" not in body and "Screen cracked" not in body and "patient fell" not in body
    alert_body = next(r.json for r in receiver.requests if r.json["type"] == "alert.updated")
    assert alert_body["data"]["id"] == alert.pk and alert_body["data"]["status"] == alert.status


def test_a_deactivated_endpoint_s_open_deliveries_stop(receiver, endpoint_for, committed):
    endpoint = endpoint_for()
    receiver.statuses = [500]
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    endpoint.is_active = False
    endpoint.save()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    call_command("retry_webhook_deliveries")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_retried_and_names_the_error(receiver, endpoint_for, committed):
    endpoint_for(url="http://127.0.0.1:9/closed")  # the discard port: nobody listens
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_response_code is None
    assert "Refused" in delivery.last_error or "refused" in delivery.last_error


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver, endpoint_for, committed, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    endpoint_for()
    receiver.statuses = ["hang"]
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (DeliveryStatus.RETRYING, 1, None)
    assert "timed out" in delivery.last_error


def test_an_http_endpoint_is_not_called_once_debug_is_off(receiver, endpoint_for, committed, settings):
    endpoint_for()
    settings.DEBUG = False
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.RETRYING and "https://" in delivery.last_error


def test_an_attempt_claims_its_delivery_so_a_second_queued_copy_sends_nothing(receiver, endpoint_for, committed):
    endpoint_for()
    receiver.statuses = [500]
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert services.delivery_attempt(delivery.pk) == "succeeded"
    assert services.delivery_attempt(delivery.pk) == "skipped"
    assert services.delivery_attempt(10**9) == "skipped"  # deleted with its endpoint
    assert len(receiver.requests) == 2


def test_an_endpoint_deleted_during_an_attempt_takes_the_delivery_with_it_quietly(receiver, endpoint_for, committed):
    endpoint = endpoint_for()
    receiver.statuses = [500]
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    real_post = services.sending.post

    def post_then_delete(*args, **kwargs):
        answer = real_post(*args, **kwargs)
        endpoint.delete()
        return answer

    with mock.patch.object(services.sending, "post", post_then_delete):
        assert services.delivery_attempt(delivery.pk) == "succeeded"
    assert not WebhookDelivery.objects.exists() and len(receiver.requests) == 2


def test_with_a_broker_a_failed_attempt_queues_its_retry_for_when_it_is_due(receiver, endpoint_for, committed):
    endpoint_for()
    receiver.statuses = [500]
    with committed():
        announce_created(WorkOrderFactory())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    receiver.statuses = [500]
    with mock.patch("webhooks.services._eager", return_value=False), \
            mock.patch("webhooks.tasks.send_webhook_delivery.apply_async") as apply_async:
        assert services.delivery_attempt(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    apply_async.assert_called_once_with((delivery.pk,), eta=delivery.next_attempt_at)
    assert delivery.attempts == 2


def test_the_retry_job_sends_only_what_is_due_at_most_limit_a_run(receiver, endpoint_for, committed, capsys):
    endpoint_for()
    receiver.statuses = [500, 500]
    with committed():
        announce_created(WorkOrderFactory())
        announce_created(WorkOrderFactory())
    due = list(WebhookDelivery.objects.order_by("id"))
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=due[0].created_at)
    capsys.readouterr()
    call_command("retry_webhook_deliveries", "--limit", "1")
    assert json.loads(capsys.readouterr().out) == {"queued": 1}
    call_command("retry_webhook_deliveries")
    assert json.loads(capsys.readouterr().out) == {"queued": 1}
    call_command("retry_webhook_deliveries")  # nothing left
    assert json.loads(capsys.readouterr().out) == {"queued": 0}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert len(receiver.requests) == 4


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_delivers_nothing(receiver, endpoint_for):
    endpoint_for()
    work_order = WorkOrderFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        announce_created(work_order)
        raise RuntimeError("the write fails after the event was published")
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
    with transaction.atomic():
        announce_created(work_order)
    assert len(receiver.requests) == 1 and WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_delivery_ids_are_unique_uuids(receiver, endpoint_for, committed):
    endpoint_for()
    endpoint_for()
    with committed():
        announce_created(WorkOrderFactory())
    ids = {request.headers["X-MediTrack-Delivery"] for request in receiver.requests}
    assert len(ids) == 2 and all(uuid.UUID(value) for value in ids)
