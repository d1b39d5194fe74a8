import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from clinical.models import Patient
from core.db import ConflictError, FieldError
from core.scoping import InIds
from devices import errors
from devices.choices import CalibrationState, DeviceCategory, DeviceStatus, HospitalKind

# What DeviceSerializer reads of each assigned nurse (core.serializers.display_name).
NURSE_COLUMNS = ("id", "username", "first_name", "last_name")
ROOM_NUMBER_TAKEN = gettext_lazy("This hospital already has a room with this number.")


# Warranty and calibration: each definition written once, shared by the device list's filters,
# the derived `calibration_state` and the dashboard's counts. Dates are the hospital's local date.
def calibration_overdue_q(today=None):
    """The next calibration was due before today."""
    return Q(next_calibration_due__lt=today or timezone.localdate())


def warranty_expiring_q(days, today=None):
    """The warranty ends between today and today + `days`, both included."""
    today = today or timezone.localdate()
    return Q(warranty_expires__gte=today, warranty_expires__lte=today + datetime.timedelta(days=days))


def calibration_state_expression(today=None):
    """`not_calibrated` when never calibrated, `calibration_required` when the next calibration is
    overdue (calibration_overdue_q), else `calibrated`."""
    return Case(
        When(last_calibration_date__isnull=True, then=Value(CalibrationState.NOT_CALIBRATED.value)),
        When(calibration_overdue_q(today), then=Value(CalibrationState.CALIBRATION_REQUIRED.value)),
        default=Value(CalibrationState.CALIBRATED.value),
        output_field=models.CharField(),
    )


class Hospital(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=HospitalKind.choices, default=HospitalKind.HOSPITAL)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=HospitalKind.values), name="devices_hospital_kind_valid"),
        ]

    def __str__(self):
        return self.name


class Room(models.Model):
    # Rooms go with their hospital; a room that devices or inventory history point at is protected.
    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(max_length=32)
    name = models.CharField(max_length=120, blank=True)
    floor = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["hospital_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "number"], name="devices_room_number_unique_per_hospital"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip()


class DeviceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admin: all; engineer and nurse: the devices assigned to them; doctor: the monitors of
        the patients they may see (break-glass grants included); anyone else: nothing."""
        return self._through_patients(user, Patient.objects.visible_to)

    def in_care_of(self, user):
        """As visible_to, but a doctor's monitors are those of the patients in their care: where
        every write scope starts (a break-glass grant reads, never assigns)."""
        return self._through_patients(user, Patient.objects.in_care_of)

    def _through_patients(self, user, patients):
        # Each scope starts from the caller's own rows, so that PostgreSQL reads them first and
        # joins the devices by primary key (issue 15): engineer by the (assigned_engineer,
        # asset_number) index; nurse: the ids of their assignments (InIds: an array PostgreSQL
        # reads once, then each device by primary key; no join, so no duplicate rows to undo);
        # doctor `patient_id IN` their patients' ids, each monitor by the unique patient index.
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.ENGINEER:
            return self.filter(assigned_engineer=user)
        if role == Role.NURSE:
            nursed = Device.assigned_nurses.through.objects.filter(user=user).values("device_id")
            return self.filter(InIds("pk", nursed))
        if role == Role.DOCTOR:
            return self.filter(category=DeviceCategory.MONITOR, patient__in=patients(user).values("pk"))
        return self.none()

    def assignable_by(self, user):
        """Monitors a user may assign: those in their care plus the free pool (unassigned active monitors)."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        free_pool = Q(category=DeviceCategory.MONITOR, patient__isnull=True, status=DeviceStatus.ACTIVE)
        return self.filter(Q(pk__in=self.in_care_of(user).values("pk")) | free_pool)

    def unassignable_by(self, user):
        """Monitors a user may take off a patient: those whose patient is in their care."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        return self.filter(patient__in=Patient.objects.in_care_of(user).values("pk"))

    def with_calibration_state(self, today=None):
        return self.annotate(calibration_state=calibration_state_expression(today))

    def with_details(self):
        # The nurses as the read shape shows them (id, display name): four columns, not the whole user.
        nurses = Prefetch("assigned_nurses", queryset=get_user_model().objects.only(*NURSE_COLUMNS))
        return (self.select_related("hospital", "room", "assigned_engineer").prefetch_related(nurses)
                .with_calibration_state())


class Device(models.Model):
    asset_number = models.CharField(max_length=64, unique=True)
    serial_number = models.CharField(max_length=120, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    model = models.CharField(max_length=120, blank=True)
    manufacturer = models.CharField(max_length=120, blank=True)
    # category, status, hospital, room, engineer and the dates: indexed with the list's order in
    # Meta.indexes (a composite whose first column is the field serves its lookups too).
    category = models.CharField(max_length=16, choices=DeviceCategory.choices, default=DeviceCategory.EQUIPMENT)
    status = models.CharField(max_length=16, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="devices", db_index=False)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="devices",
                             db_index=False)
    assigned_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="engineered_devices", limit_choices_to={"role": Role.ENGINEER}, db_index=False,
    )
    assigned_nurses = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="nursed_devices", limit_choices_to={"role": Role.NURSE},
    )
    # The OneToOne is the database's guarantee of one monitor per patient and one patient per monitor.
    patient = models.OneToOneField(
        "clinical.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="monitor",
    )
    last_inventory_date = models.DateField(null=True, blank=True)
    warranty_expires = models.DateField(null=True, blank=True)
    last_calibration_date = models.DateField(null=True, blank=True)
    next_calibration_due = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["asset_number"]
        # The list at 100,000 devices (issue 15): each scope and filter with the default order
        # (asset_number), and each ?ordering= field with the id that makes it total, is an index
        # range read LIMIT 50, not a sort of the table. Search (trigram GIN) and the identifier
        # prefix filters (UPPER text_pattern_ops) are PostgreSQL-only: migration 0004.
        indexes = [
            models.Index(fields=["assigned_engineer", "asset_number"], name="devices_engineer_asset"),
            models.Index(fields=["hospital", "asset_number"], name="devices_hospital_asset"),
            models.Index(fields=["room", "asset_number"], name="devices_room_asset"),
            models.Index(fields=["name", "id"], name="devices_name_id"),
            models.Index(fields=["status", "id"], name="devices_status_id"),
            models.Index(fields=["category", "id"], name="devices_category_id"),
            models.Index(fields=["created_at", "id"], name="devices_created_id"),
            models.Index(fields=["last_inventory_date", "id"], name="devices_inventory_id"),
            models.Index(fields=["warranty_expires", "id"], name="devices_warranty_id"),
            models.Index(fields=["next_calibration_due", "id"], name="devices_calibration_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(patient__isnull=True) | Q(category=DeviceCategory.MONITOR),
                                   name="devices_device_only_monitors_have_patient"),
            models.CheckConstraint(condition=Q(status__in=DeviceStatus.values), name="devices_device_status_valid"),
            models.CheckConstraint(condition=Q(category__in=DeviceCategory.values),
                                   name="devices_device_category_valid"),
        ]

    def __str__(self):
        return f"{self.asset_number} {self.name}"


class InventoryCheck(models.Model):
    """One confirmation of a device's location during an inventory round."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="inventory_checks")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    from_room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.device} checked {self.checked_at:%Y-%m-%d}"


class DowntimePeriod(models.Model):
    """A stretch of time a device was out of service: opened when its status leaves `active` (or a
    monitor goes silent), closed when it returns. Written only by the device-status service."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="downtime_periods")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The status the device left `active` for (blank when it stayed active, e.g. a silent monitor).
    status = models.CharField(max_length=16, choices=DeviceStatus.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    work_order = models.ForeignKey("workorders.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="downtime_periods")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["device", "started_at"], name="devices_downtime_device_start")]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(ended_at__isnull=True),
                                    name="devices_one_open_downtime_per_device"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="devices_downtime_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.device} down since {self.started_at:%Y-%m-%d %H:%M}"

    def duration(self, now=None):
        """How long the device was (or, while the period is open, has been) down."""
        return (self.ended_at or now or timezone.now()) - self.started_at


# What each constraint means when a write breaks it (core.db.constraint_errors): the answer the
# service's own check gives, for the write that passed the check and lost the race.
CONSTRAINT_ERRORS = {
    "Hospital.name": FieldError("name", gettext_lazy("A hospital with this name already exists.")),
    "devices_room_number_unique_per_hospital": FieldError("number", ROOM_NUMBER_TAKEN),
    "Device.asset_number": FieldError("asset_number", gettext_lazy("A device with this asset number already exists.")),
    "Device.patient": ConflictError(errors.PATIENT_HAS_MONITOR,
                                    gettext_lazy("This patient already has a monitor; unassign it first.")),
    "devices_one_open_downtime_per_device": ConflictError(
        errors.DOWNTIME_OPEN, gettext_lazy("The device already has an open downtime period; the status changed "
                                           "meanwhile: reload the device and try again.")),
}
