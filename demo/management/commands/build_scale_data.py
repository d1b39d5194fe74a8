"""Hospital-scale data for benchmarks and EXPLAIN checks (issue 15), on PostgreSQL only, then ANALYZE.

    manage.py build_scale_data [--scale 1.0] [--devices N] [--workorders N] [--patients N] [--appointments N]

At --scale 1: 100,000 devices, 200,000 work orders, 50,000 patients, 100,000 appointments, built
server-side (INSERT ... SELECT generate_series, a fixed seed) in about a minute. Around them, in
proportion: hospitals, rooms, departments; a doctor per 250 patients (each patient mapped to one, a
fifth to two; 30-minute slots over two months around today, four in five booked; consultations of
the completed ones); a nurse per 500 devices, an engineer per 1,000; a monitor in five devices,
three in five of those on a patient, half of those with an alert; work orders reported by the
device's nurse and assigned to its engineer; spare-part requests; PM schedules. MRN, WO- and SPR-
numbers are reserved from core.Counter. Users are `scale-<role>-<n>` (unusable passwords;
`scale-<role>-1` carries a typical load); a database that already holds them is refused.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from accounts.models import User
from clinical.models import Appointment, Consultation, DoctorProfile, Patient, PatientDoctorMapping, TimeSlot
from core.models import Counter
from devices.models import Device, Hospital, Room
from maintenance.models import PMSchedule
from monitoring.models import Alert
from organisation.models import Department
from spareparts.models import SparePartRequest
from workorders.models import WorkOrder

FULL = {"devices": 100_000, "workorders": 200_000, "patients": 50_000, "appointments": 100_000}
MARKER = "scale-admin"


def insert_select(cursor, model, columns, source):
    """INSERT INTO model's table (columns, then every other NOT NULL column at its model default)
    SELECT ... FROM source. `columns` maps column names to SQL expressions (our own integers only):
    a column another change adds later is filled with its default, or named if it has none."""
    expressions, params = {column: sql.replace("%", "%%") for column, sql in columns.items()}, []
    for field in model._meta.concrete_fields:
        if field.column in expressions or field.null or field.primary_key or field.db_default is not NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions[field.column] = "now()"
            continue
        default = field.get_default()
        if default is None:
            raise CommandError(f"build_scale_data cannot fill {model._meta.label}.{field.name}: NOT NULL, no default.")
        expressions[field.column] = "%s"
        params.append(field.get_db_prep_save(default, connection))
    names = ", ".join(connection.ops.quote_name(column) for column in expressions)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({names}) SELECT {', '.join(expressions.values())} "  # noqa: S608
                   f"FROM {source.replace('%', '%%')}", params)


def next_id(cursor, model):
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608 - our table
    return cursor.fetchone()[0]


def reset_identity(cursor, model):
    table = model._meta.db_table
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")  # noqa: S608


def padded(number, width):
    """As Python's f"{number:0{width}d}": zero-padded to at least `width` digits (lpad cuts longer ones)."""
    return f"lpad(({number})::text, greatest({width}, length(({number})::text)), '0')"


def pick(n):
    """A uniform random index in 0..n-1 (SQL)."""
    return f"floor(random() * {n})::int"


class Command(BaseCommand):
    help = "Build hospital-scale data with bulk SQL (PostgreSQL only) for benchmarks, then ANALYZE."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="Multiplies the four sizes (default 1).")
        for name, size in FULL.items():
            parser.add_argument(f"--{name}", type=int, help=f"Rows (default {size:,} times --scale).")

    def handle(self, *args, scale, **options):
        if connection.vendor != "postgresql":
            raise CommandError("build_scale_data needs PostgreSQL (set DATABASE_URL): it builds with bulk SQL.")
        if User.objects.filter(username=MARKER).exists():
            raise CommandError(f"This database already holds scale data (user {MARKER}); use a fresh database.")
        sizes = {name: max(options[name] or round(size * scale), 10) for name, size in FULL.items()}
        started = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.15)")
            built = Builder(cursor, **sizes).build()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(f"Built in {seconds:.0f} s (ANALYZE included):")
        for label, count in built.items():
            self.stdout.write(f"  {label:<22} {count:>9,}")
        self.stdout.write("Users: scale-admin, scale-{doctor,nurse,engineer,patient}-1 ... (unusable passwords)")


class Builder:
    def __init__(self, cursor, *, devices, workorders, patients, appointments):
        self.cursor, self.built = cursor, {}
        self.n_devices, self.n_workorders, self.n_patients, self.n_appointments = (
            devices, workorders, patients, appointments)
        self.n_hospitals, self.n_departments, self.n_doctors = max(2, devices // 10_000), 20, max(2, patients // 250)
        self.n_nurses, self.n_engineers = max(2, devices // 500), max(2, devices // 1_000)
        self.n_patient_users, self.n_monitored = max(1, patients // 10), min(devices // 5 * 3 // 5, patients)

    def nurse_of(self, k):
        return f"{self.first['nurse']} + 1 + {k} % {self.n_nurses}"

    def engineer_of(self, k):
        return f"{self.first['engineer']} + 1 + {k} % {self.n_engineers}"

    def insert(self, label, model, columns, source):
        """insert_select with BASE in the expressions standing for the table's largest id before;
        returns that base (row g's id is then BASE + g), counts the rows and moves the identity on."""
        base = next_id(self.cursor, model)
        insert_select(self.cursor, model, {column: sql.replace("BASE", str(base)) for column, sql in columns.items()},
                      source)
        self.count(label, model, base)
        return base

    def count(self, label, model, base):
        self.built[label] = next_id(self.cursor, model) - base
        reset_identity(self.cursor, model)

    def build(self):
        for step in (self.places, self.users, self.patients, self.devices, self.scheduling, self.maintenance,
                     self.alerts):
            step()
        return self.built

    def places(self):
        self.department = self.insert("departments", Department, {"id": "BASE + g", "name": "'Department ' || g"},
                                      f"generate_series(1, {self.n_departments}) g")
        self.hospital = self.insert("hospitals", Hospital, {
            "id": "BASE + g", "name": "'Scale hospital ' || g", "address": "g || ' Scale Road'",
        }, f"generate_series(1, {self.n_hospitals}) g")
        self.room = self.insert("rooms", Room, {
            "id": "BASE + g", "hospital_id": f"{self.hospital} + 1 + (g - 1) / 40",
            "number": padded("(g - 1) % 40 + 1", 3), "name": "'Ward ' || g", "floor": "(g % 40) / 10",
        }, f"generate_series(1, {self.n_hospitals * 40}) g")

    def users(self):
        """Admin, then doctors, nurses, engineers and patients' logins: user ids by arithmetic."""
        roles = [("admin", 1), ("doctor", self.n_doctors), ("nurse", self.n_nurses),
                 ("engineer", self.n_engineers), ("patient", self.n_patient_users)]
        self.first = {}
        for role, n in roles:
            department = ("NULL" if role in ("admin", "patient")
                          else f"{self.department} + 1 + (g - 1) % {self.n_departments}")
            self.first[role] = self.insert(f"{role} users", User, {
                "id": "BASE + g", "username": f"'{MARKER}'" if role == "admin" else f"'scale-{role}-' || g",
                "password": "'!'", "email": f"'scale-{role}-' || g || '@scale.local'", "role": f"'{role}'",
                "first_name": f"'{role.title()}'", "last_name": "'Scale ' || g", "approval_status": "'approved'",
                "email_verified": "true", "is_staff": str(role == "admin"), "is_superuser": "false",
                "department_id": department,
            }, f"generate_series(1, {n}) g")
        self.profile = self.insert("doctor profiles", DoctorProfile, {
            "id": "BASE + g", "user_id": f"{self.first['doctor']} + g",
            "medical_license_number": "'LIC-SCALE-' || " + padded("g", 5), "specialization": "'Cardiology'",
        }, f"generate_series(1, {self.n_doctors}) g")

    def patients(self):
        """Patient g: department g mod 20, doctor g mod D (a fifth also the next one), the first tenth a login."""
        last_mrn = Counter.next_value("medical_record_number", self.n_patients)
        self.patient = self.insert("patients", Patient, {
            "id": "BASE + g",
            "medical_record_number": "'MRN-' || " + padded(f"{last_mrn - self.n_patients} + g", 7),
            "first_name": "(ARRAY['Amal','Omar','Sara','Yusuf','Lina','Karim','Noor','Hadi'])[1 + g % 8]",
            "last_name": "'Patient' || " + padded("(g * 7919) % 100000", 5),
            "date_of_birth": f"date '1940-01-01' + {pick(30000)}",
            "sex": "(ARRAY['female','male'])[1 + g % 2]",
            "department_id": f"{self.department} + 1 + g % {self.n_departments}",
            "user_id": f"CASE WHEN g <= {self.n_patient_users} THEN {self.first['patient']} + g END",
            "created_at": f"now() - {pick(730 * 24)} * interval '1 hour'", "updated_at": "now()",
        }, f"generate_series(1, {self.n_patients}) g")
        mapping = next_id(self.cursor, PatientDoctorMapping)
        for extra, where in ((0, ""), (1, "WHERE g % 5 = 0")):
            insert_select(self.cursor, PatientDoctorMapping, {
                "patient_id": f"{self.patient} + g",
                "doctor_id": f"{self.profile} + 1 + (g + {extra}) % {self.n_doctors}",
                "created_by_id": f"{self.first['admin']} + 1",
            }, f"generate_series(1, {self.n_patients}) g {where}")
        self.count("doctor mappings", PatientDoctorMapping, mapping)

    def devices(self):
        """Device k: every fifth a monitor (the first 3/5 of them on patients 1..), nurse k mod N
        (every tenth also k+1), engineer k mod E for nine in ten."""
        self.device = self.insert("devices", Device, {
            "id": "BASE + g", "asset_number": "'EQ-' || " + padded("g", 6),
            "serial_number": "'SN-' || md5(g::text)",
            "name": "CASE WHEN g % 5 = 0 THEN 'Bedside monitor' ELSE (ARRAY['Infusion pump','Ventilator',"
                    "'Defibrillator','Ultrasound','ECG machine','Syringe pump'])[1 + g % 6] END",
            "model": "'M-' || (g % 50)", "manufacturer": "(ARRAY['Acme Medical','Philips','GE','Mindray'])[1 + g % 4]",
            "category": "CASE WHEN g % 5 = 0 THEN 'monitor' ELSE 'equipment' END",
            "status": "(ARRAY['active','active','active','active','active','active','maintenance','inactive',"
                      "'active','decommissioned'])[1 + g % 10]",
            "hospital_id": f"{self.hospital} + 1 + g % {self.n_hospitals}",
            "room_id": f"{self.room} + 1 + g % {self.n_hospitals * 40}",
            "assigned_engineer_id": f"CASE WHEN g % 10 <> 3 THEN {self.engineer_of('g')} END",
            "patient_id": f"CASE WHEN g % 5 = 0 AND g / 5 <= {self.n_monitored} THEN {self.patient} + g / 5 END",
            "last_calibration_date": f"CASE WHEN g % 7 <> 0 THEN current_date - {pick(500)} END",
            "next_calibration_due": f"CASE WHEN g % 7 <> 0 THEN current_date - 100 + {pick(465)} END",
            "warranty_expires": f"current_date - 365 + {pick(1500)}",
            "created_at": f"now() - {pick(1500 * 24)} * interval '1 hour'", "updated_at": "now()",
        }, f"generate_series(1, {self.n_devices}) g")
        through = Device.assigned_nurses.through
        for extra, where in ((0, ""), (1, "WHERE g % 10 = 0")):
            insert_select(self.cursor, through, {
                "device_id": f"{self.device} + g", "user_id": self.nurse_of(f"(g + {extra})"),
            }, f"generate_series(1, {self.n_devices}) g {where}")
        self.built["nurse assignments"] = self.n_devices + self.n_devices // 10
        reset_identity(self.cursor, through)

    def scheduling(self):
        """Slot g: doctor g mod D, the (g / D)th of that doctor's, eight a day from 09:00, starting 60
        days ago. Appointment a books slot a + a/4 (every fifth slot stays free); three in five go to
        the doctor's own mapped patients."""
        d, per_day = self.n_doctors, 8
        n_slots = self.n_appointments + self.n_appointments // 4 + 1
        slot = self.insert("time slots", TimeSlot, {
            "id": "BASE + 1 + g", "doctor_id": f"{self.profile} + 1 + g % {d}",
            "date": f"current_date - 60 + (g / {d}) / {per_day}",
            "start_time": f"time '09:00' + ((g / {d}) % {per_day}) * interval '30 minutes'",
            "end_time": f"time '09:30' + ((g / {d}) % {per_day}) * interval '30 minutes'",
        }, f"generate_series(0, {n_slots - 1}) g")
        nth = pick(max(1, self.n_patients // d))
        own = f"{self.patient} + 1 + (s.doctor_id - {self.profile} - 1 + {d} * {nth}) % {self.n_patients}"
        appointment = self.insert("appointments", Appointment, {
            "id": "BASE + 1 + a", "slot_id": "s.id", "doctor_id": "s.doctor_id",
            "patient_id": f"CASE WHEN a % 5 < 3 THEN {own} ELSE {self.patient} + 1 + {pick(self.n_patients)} END",
            "status": "CASE WHEN s.date < current_date THEN (ARRAY['completed','completed','completed','completed',"
                      "'completed','completed','completed','no_show','cancelled','cancelled'])[1 + a % 10] "
                      "ELSE (ARRAY['scheduled','confirmed','scheduled','cancelled','scheduled'])[1 + a % 5] END",
            "reason": "'Check-up'", "created_by_id": f"{self.first['admin']} + 1",
            "created_at": "s.date - 14 + time '08:00'", "updated_at": "s.date - 14 + time '08:00'",
        }, f"generate_series(0, {self.n_appointments - 1}) a JOIN {TimeSlot._meta.db_table} s "
           f"ON s.id = {slot} + 1 + a + a / 4")
        self.insert("consultations", Consultation, {
            "appointment_id": "ap.id", "status": "'completed'", "chief_complaint": "'Chest pain'",
            "diagnosis": "'Stable'", "started_at": "ap.created_at + interval '14 days 1 hour'",
            "completed_at": "ap.created_at + interval '14 days 1 hour 20 minutes'",
            "created_at": "ap.created_at + interval '14 days 1 hour'",
            "updated_at": "ap.created_at + interval '14 days 1 hour'",
        }, f"{Appointment._meta.db_table} ap WHERE ap.id > {appointment} AND ap.status = 'completed'")

    def maintenance(self):
        """PM schedules on every tenth device; work orders over random devices, reported by its nurse,
        assigned to its engineer; a spare-part request on every tenth assigned work order."""
        self.insert("PM schedules", PMSchedule, {
            "device_id": f"{self.device} + g * 10", "title": "'Monthly check ' || g", "frequency": "'monthly'",
            "interval": "1", "based_on": "'scheduled_date'", "next_due_date": f"current_date + {pick(60)}",
            "lead_days": "7", "active": "g % 20 <> 0",
        }, f"generate_series(1, {self.n_devices // 10}) g")
        month = f"{timezone.now():%Y%m}"
        last = Counter.next_value(f"WO-{month}", self.n_workorders)
        created, closed = "now() - w.age * interval '1 hour'", "w.age > 24 * 30 OR w.g % 3 = 0"
        workorder = self.insert("work orders", WorkOrder, {
            "id": "BASE + w.g",
            "work_number": f"'WO-{month}-' || " + padded(f"{last - self.n_workorders} + w.g", 4),
            "device_id": f"{self.device} + w.k", "description": "'Fault reported ' || w.g",
            "work_type": "CASE WHEN w.g % 5 = 0 THEN 'PM' ELSE 'CM' END",
            "priority": "(ARRAY['low','medium','medium','high','critical'])[1 + w.g % 5]",
            "status": f"CASE WHEN {closed} THEN 'closed' WHEN w.g % 3 = 1 THEN 'open' ELSE 'in_progress' END",
            "due_date": f"({created})::date + 7",
            "completed_date": f"CASE WHEN {closed} THEN ({created})::date + 3 END",
            "completed_at": f"CASE WHEN {closed} THEN {created} + interval '3 days' END",
            "created_by_id": self.nurse_of("w.k"),
            "assigned_to_id": f"CASE WHEN w.k % 10 <> 3 AND w.g % 10 <> 9 THEN {self.engineer_of('w.k')} END",
            "created_at": created, "updated_at": created,
        }, f"(SELECT g, 1 + {pick(self.n_devices)} AS k, {pick(730 * 24)} AS age "  # noqa: S608 - our integers
           f"FROM generate_series(1, {self.n_workorders}) g) w")
        n_requests = self.n_workorders // 10
        last = Counter.next_value(f"SPR-{month}", n_requests)
        self.insert("spare-part requests", SparePartRequest, {
            "request_number": f"'SPR-{month}-' || " + padded(f"{last - n_requests} + w.n", 4),
            "part_name": "'Part ' || w.id % 97", "quantity": "1 + w.id % 4", "device_id": "w.device_id",
            "work_order_id": "w.id", "requested_by_id": "w.assigned_to_id",
            "status": "(ARRAY['pending','approved','rejected','approved'])[1 + w.n % 4]",
            "decided_at": "CASE WHEN w.n % 4 <> 0 THEN w.created_at + interval '1 day' END",
            "decided_by_id": f"CASE WHEN w.n % 4 <> 0 THEN {self.first['admin']} + 1 END",
            "created_at": "w.created_at", "updated_at": "w.created_at",
        }, f"(SELECT id, device_id, assigned_to_id, created_at, row_number() OVER (ORDER BY id) AS n "  # noqa: S608
           f"FROM {WorkOrder._meta.db_table} WHERE id > {workorder} AND assigned_to_id IS NOT NULL) w "
           f"WHERE w.n <= {n_requests}")

    def alerts(self):
        """The even monitored patients (as scale-<role>-1's) have had a tachycardia alert; a fifth still open."""
        self.insert("alerts", Alert, {
            "patient_id": f"{self.patient} + m", "device_id": f"{self.device} + m * 5", "kind": "'tachycardia'",
            "severity": "'warning'", "status": "CASE WHEN m % 10 = 0 THEN 'open' ELSE 'resolved' END",
            "first_value": "130", "last_value": "128", "peak_value": "140", "breach_count": "3",
            "opened_at": f"now() - {pick(60 * 24)} * interval '1 hour'", "last_breach_at": "now()",
            "resolved_at": "CASE WHEN m % 10 = 0 THEN NULL ELSE now() END",
        }, f"generate_series(2, {self.n_monitored}, 2) m")
