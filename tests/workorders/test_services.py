import datetime
import re

import pytest
from django.db import IntegrityError
from django.utils import timezone

from core.models import Counter
from spareparts import services as spare_services
from spareparts.models import SparePartRequest
from tests.devices.helpers import run_concurrently
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders import services
from workorders.models import WorkOrder


@pytest.mark.django_db
def test_numbers_restart_each_month():
    assert services.next_work_number(datetime.datetime(2025, 1, 31, 23, 0)) == "WO-202501-0001"
    assert services.next_work_number(datetime.datetime(2025, 1, 1)) == "WO-202501-0002"
    assert services.next_work_number(datetime.datetime(2025, 2, 1)) == "WO-202502-0001"
    assert spare_services.next_request_number(datetime.datetime(2025, 2, 1)) == "SPR-202502-0001"
    assert Counter.objects.get(key="WO-202501").value == 2


@pytest.mark.django_db
def test_closed_work_order_needs_a_completed_date_in_the_database():
    order = WorkOrderFactory()
    order.status = "closed"
    with pytest.raises(IntegrityError):
        order.save()


@pytest.mark.django_db
def test_work_numbers_are_unique_in_the_database():
    order = WorkOrderFactory()
    with pytest.raises(IntegrityError):
        WorkOrderFactory(work_number=order.work_number)


@pytest.mark.django_db
def test_a_new_row_has_updated_at_equal_to_created_at_and_an_edit_moves_it():
    order = WorkOrderFactory()
    assert order.updated_at == order.created_at
    order.description = "Changed"
    order.save(update_fields=["description"])
    order.refresh_from_db()
    assert order.updated_at > order.created_at


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_work_orders_get_twenty_distinct_numbers():
    nurse = UserFactory(nurse=True)
    device = DeviceFactory(assigned_nurses=[nurse])

    def create(index):
        return services.workorder_create(by=nurse, device=device, description=f"Fault {index}", work_type="CM",
                                         priority="high").work_number

    numbers = run_concurrently(20, create)
    month = f"{timezone.now():%Y%m}"
    assert len(set(numbers)) == 20
    assert all(re.fullmatch(rf"WO-{month}-\d{{4}}", number) for number in numbers)
    assert sorted(int(number[-4:]) for number in numbers) == list(range(1, 21))
    assert WorkOrder.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_spare_part_requests_get_twenty_distinct_numbers():
    engineer = UserFactory(engineer=True)
    device = DeviceFactory(assigned_engineer=engineer)

    def create(index):
        return spare_services.spare_part_create(by=engineer, device=device, part_name=f"Part {index}",
                                                quantity=1).request_number

    numbers = run_concurrently(20, create)
    assert len(set(numbers)) == 20
    assert sorted(int(number[-4:]) for number in numbers) == list(range(1, 21))
    assert SparePartRequest.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_closes_of_a_failed_pm_work_order_open_one_follow_up():
    from core.errors import Conflict

    pm = WorkOrderFactory(work_type="PM", status="in_progress", technical_action="PM done",
                          checklist=["Check the battery", "Check the alarm"],
                          checklist_results=[{"step": "Check the battery", "passed": False, "remark": ""},
                                             {"step": "Check the alarm", "passed": True, "remark": ""}])
    engineer = pm.assigned_to

    def close(_):
        try:
            services.workorder_close(work_order=WorkOrder.objects.get(pk=pm.pk), by=engineer)
        except Conflict as exc:
            return exc.get_codes()
        return "closed"

    outcomes = run_concurrently(4, close)
    assert sorted(outcomes) == ["closed", "work_order_closed", "work_order_closed", "work_order_closed"]
    assert WorkOrder.objects.filter(follow_up_of=pm).count() == 1
    assert WorkOrder.objects.filter(work_type="CM").count() == 1
