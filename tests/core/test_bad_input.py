"""Bad input is a 400 naming what is wrong, never a 500 (issue 9: bad input that still gets a 500)."""

import pytest

from core.testing import assert_error
from tests.factories.monitoring import monitored_patient

pytestmark = pytest.mark.django_db

IMPOSSIBLE_DATETIMES = [
    "2026-02-30T00:00:00Z",       # no such day
    "0000-00-00T00:00:00Z",       # year 0, month 0
    "2026-01-01T25:00:00Z",       # hour 25
    "2026-01-01T00:00:00+25:00",  # offset beyond a day
    "0001-01-01T00:00:00+01:00",  # before the first instant once moved to UTC
]


@pytest.mark.parametrize("value", IMPOSSIBLE_DATETIMES)
@pytest.mark.parametrize("parameter", ["from", "to"])
def test_impossible_datetime_in_history_query_is_400_naming_it(admin_client, parameter, value):
    patient, _monitor = monitored_patient()
    response = admin_client.get(f"/api/records/{patient.id}/", {parameter: value})
    body = assert_error(response, 400, "validation_error", fields=[parameter])
    assert list(body["errors"]) == [parameter]
    assert "datetime" in body["errors"][parameter][0].lower()
