from django.db import models


class HospitalKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital"
    CLINIC = "clinic", "Clinic"


class DeviceCategory(models.TextChoices):
    EQUIPMENT = "equipment", "Equipment"
    MONITOR = "monitor", "Patient monitor"


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    MAINTENANCE = "maintenance", "In maintenance"
    DECOMMISSIONED = "decommissioned", "Decommissioned"

class CalibrationState(models.TextChoices):
    """Derived from the calibration dates (devices.models.calibration_state_expression)."""

    CALIBRATED = "calibrated", "Calibrated"
    CALIBRATION_REQUIRED = "calibration_required", "Calibration required"
    NOT_CALIBRATED = "not_calibrated", "Not calibrated"


# Status changes an engineer may make on their own devices. Decommissioning is final for them:
# bringing a device back into service is an administrative decision.
ENGINEER_STATUS_TRANSITIONS = {
    DeviceStatus.ACTIVE: {DeviceStatus.INACTIVE, DeviceStatus.MAINTENANCE, DeviceStatus.DECOMMISSIONED},
    DeviceStatus.INACTIVE: {DeviceStatus.ACTIVE, DeviceStatus.MAINTENANCE, DeviceStatus.DECOMMISSIONED},
    DeviceStatus.MAINTENANCE: {DeviceStatus.ACTIVE, DeviceStatus.INACTIVE, DeviceStatus.DECOMMISSIONED},
    DeviceStatus.DECOMMISSIONED: set(),
}

# An admin may move a device between any two statuses, including re-commissioning one.
ADMIN_STATUS_TRANSITIONS = {status: set(DeviceStatus) - {status} for status in DeviceStatus}


def toggled_status(status):
    """The status `change-status` without a body moves to: active -> inactive, anything else -> active."""
    return DeviceStatus.INACTIVE if status == DeviceStatus.ACTIVE else DeviceStatus.ACTIVE

