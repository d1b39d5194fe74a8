"""The error codes are the API's contract (clients branch on them): the per-app constants keep
their values; renaming a constant is fine, changing a value is a breaking change."""
import pytest

from accounts import errors as accounts_errors
from clinical import errors as clinical_errors
from devices import errors as devices_errors
from monitoring import errors as monitoring_errors
from spareparts import errors as spareparts_errors
from workorders import errors as workorders_errors

CONTRACT = {
    accounts_errors: {"account_inactive", "account_pending", "account_rejected", "invalid_credentials",
                      "not_pending", "self_deactivation"},
    clinical_errors: {"already_in_care", "consultation_completed", "grant_not_live", "invalid_transition",
                      "not_started", "slot_booked", "slot_has_history", "slot_taken"},
    devices_errors: {"device_in_use", "device_not_active", "downtime_open", "invalid_transition", "monitor_in_use",
                     "monitor_not_assigned", "not_a_monitor", "patient_has_monitor", "room_in_use"},
    monitoring_errors: {"invalid_api_key", "invalid_transition", "not_a_monitor"},
    spareparts_errors: {"request_number_taken", "spare_part_not_pending"},
    workorders_errors: {"device_decommissioned", "invalid_transition", "work_number_taken", "work_order_closed",
                        "work_order_in_use", "work_order_not_open"},
}


@pytest.mark.parametrize("module", CONTRACT, ids=lambda module: module.__name__)
def test_codes_keep_their_values(module):
    codes = {value for name, value in vars(module).items() if name.isupper()}
    assert codes == CONTRACT[module]
    # Each constant is named after its code, so a grep for either finds both.
    assert all(getattr(module, code.upper()) == code for code in CONTRACT[module])


def test_core_pagination_codes_keep_their_values():
    from core import pagination

    assert pagination.PAGE_TOO_DEEP == "page_too_deep"
