"""The SQL shape of the clinical scopes at a few thousand rows (issue 15), PostgreSQL only.

Each scope is driven from the caller's side: EXPLAIN ANALYZE shows no hashed subplan, no per-row
subplan beyond the rows shown, no sequential scan of a large clinical table, and reads of those
tables that grow with the caller's own
rows (a doctor's 40 appointments and 30 mappings among 4,000 patients), not with the table. The
planner may rightly prefer a sequential scan of tables this small, so the plans are taken with
`enable_seqscan = off`: what is pinned is that an index-driven plan exists for the SQL, which a
correlated `Exists() OR Exists()` never had (it tests every patient in turn)."""
import json

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.choices import Role
from clinical.filters import PatientFieldsSearchFilter
from clinical.models import Appointment, Consultation, Patient, PatientDoctorMapping, TimeSlot
from clinical.views.scheduling import AppointmentViewSet
from tests.factories import DepartmentFactory, user_for_role

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")]

LARGE = {"clinical_patient", "clinical_appointment", "clinical_timeslot", "clinical_consultation",
         "clinical_patientdoctormapping"}
PATIENTS = 4000
DOCTOR_SLOTS = 40
DOCTOR_MAPPINGS = 30
# The doctor's patients are at most their appointments' and mappings' (a few more for a hash's batches).
DOCTOR_ROWS = DOCTOR_SLOTS + DOCTOR_MAPPINGS

BUILD = """
INSERT INTO clinical_patient (medical_record_number, first_name, last_name, sex, phone, email, address,
  blood_type, medical_history, allergies, emergency_contact_name, emergency_contact_phone,
  emergency_contact_relation, department_id, hr_low, hr_high, is_archived, created_at, updated_at)
SELECT 'SCALE-' || g, 'First' || g %% 97, 'Last' || g %% 991, 'unknown', '', '', '', '', '', '', '', '', '',
  CASE WHEN g %% 40 = 0 THEN %(nurse_department)s ELSE %(other_department)s END, 50, 120, false, now(), now()
FROM generate_series(1, %(patients)s) g;
INSERT INTO clinical_timeslot (date, start_time, end_time, created_at, doctor_id)
SELECT date '2030-01-01' + g / 10, time '08:00' + (g %% 10) * interval '30 minutes',
  time '08:30' + (g %% 10) * interval '30 minutes', now(), CASE WHEN g <= %(doctor_slots)s THEN %(doctor)s
  ELSE %(other_doctor)s END
FROM generate_series(1, %(patients)s) g;
WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM clinical_patient),
     s AS (SELECT id, doctor_id, row_number() OVER (ORDER BY id) AS n FROM clinical_timeslot)
INSERT INTO clinical_appointment (reason, status, cancel_reason, created_at, updated_at, doctor_id, patient_id, slot_id)
SELECT '', 'scheduled', '', now(), now(), s.doctor_id, p.id, s.id FROM s JOIN p ON p.n = 1 + (s.n * 7) %% %(patients)s;
INSERT INTO clinical_patientdoctormapping (created_at, doctor_id, patient_id)
SELECT now(), %(doctor)s, id FROM clinical_patient ORDER BY id DESC LIMIT %(doctor_mappings)s;
INSERT INTO clinical_consultation (chief_complaint, diagnosis, summary, status, created_at, updated_at, appointment_id)
SELECT '', '', '', 'open', now(), now(), id FROM clinical_appointment WHERE id %% 3 = 0;
"""


@pytest.fixture
def scale():
    """A doctor and a nurse among 4,000 patients and 4,000 appointments, ANALYZE'd."""
    nurse_department, other_department = DepartmentFactory(), DepartmentFactory()
    doctor, other_doctor = user_for_role(Role.DOCTOR), user_for_role(Role.DOCTOR)
    nurse = user_for_role(Role.NURSE, department=nurse_department)
    with connection.cursor() as cursor:
        cursor.execute(BUILD, {"nurse_department": nurse_department.pk, "other_department": other_department.pk,
                               "patients": PATIENTS, "doctor_slots": DOCTOR_SLOTS,
                               "doctor_mappings": DOCTOR_MAPPINGS, "doctor": doctor.doctor_profile.pk,
                               "other_doctor": other_doctor.doctor_profile.pk})
        cursor.execute(f"ANALYZE {', '.join(sorted(LARGE))}")
    admin = user_for_role(Role.ADMIN)
    return {"doctor": doctor, "nurse": nurse, "admin": admin}


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        document = cursor.fetchone()[0]
    document = json.loads(document) if isinstance(document, str) else document
    return document[0]["Plan"]


def nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def assert_driven_by_caller(queryset, bound):
    """No hashed subplan, no sequential scan of a large table, and no large table read (nor a
    correlated subplan run) for more than `bound` rows in all (the caller's own rows or the page)."""
    for node in nodes(plan(queryset)):
        # An InitPlan runs once (InIds' array). A SubPlan runs per row, or hashed over its whole
        # table: never hashed, and per row only for the rows shown (the slots' is_booked).
        if node.get("Parent Relationship") == "SubPlan":
            assert not node["Subplan Name"].startswith("hashed"), node["Subplan Name"]
            assert node["Actual Loops"] <= bound, f"{node['Subplan Name']} ran {node['Actual Loops']} times"
        relation = node.get("Relation Name")
        if relation in LARGE:
            assert node["Node Type"] != "Seq Scan", relation
            read = node["Actual Rows"] * node["Actual Loops"]
            assert read <= bound, f"{relation}: {node['Node Type']} read {read} rows (bound {bound})"


def page(queryset):
    return queryset[:50]


def test_a_doctors_patients_are_a_union_of_their_own_rows(scale):
    doctor = scale["doctor"]
    for queryset in (Patient.objects.visible_to(doctor), Patient.objects.in_care_of(doctor)):
        assert "EXISTS" not in str(queryset.query).upper()
        assert_driven_by_caller(page(queryset.active()), DOCTOR_ROWS)
        assert_driven_by_caller(queryset.order_by(), DOCTOR_ROWS)  # the rows the count reads
    assert Patient.objects.visible_to(doctor).count() == Patient.objects.in_care_of(doctor).count() > 0


def test_the_former_exists_or_exists_reads_every_patient(scale):
    """The check above fails for the scope it replaced: its test per patient reads them all."""
    doctor = scale["doctor"]
    mapped = PatientDoctorMapping.objects.filter(patient=OuterRef("pk"), doctor__user=doctor)
    booked = Appointment.objects.filter(patient=OuterRef("pk"), doctor__user=doctor)
    with pytest.raises(AssertionError):
        assert_driven_by_caller(Patient.objects.filter(Q(Exists(mapped)) | Q(Exists(booked))).order_by(),
                                DOCTOR_ROWS)


def test_a_nurses_patients_come_from_their_department(scale):
    nurse = scale["nurse"]
    department = PATIENTS // 40
    for queryset in (Patient.objects.visible_to(nurse), Patient.objects.in_care_of(nurse)):
        assert_driven_by_caller(page(queryset.active()), department)
        assert_driven_by_caller(queryset.order_by(), department)


def test_a_nurses_appointments_and_consultations_are_those_of_their_patients(scale):
    nurse = scale["nurse"]
    # The department's 100 patients hold about 100 appointments (one slot in 40 each way).
    bound = 2 * PATIENTS // 40
    appointments = Appointment.objects.visible_to(nurse)
    assert_driven_by_caller(page(appointments.select_related("patient", "slot")), bound)
    assert_driven_by_caller(appointments.order_by(), bound)
    assert_driven_by_caller(page(Consultation.objects.visible_to(nurse)), bound)
    assert_driven_by_caller(Consultation.objects.visible_to(nurse).order_by(), bound)


def test_a_doctors_appointments_and_consultations_start_from_the_doctor(scale):
    doctor = scale["doctor"]
    for queryset in (Appointment.objects.visible_to(doctor), Appointment.objects.in_care_of(doctor)):
        assert_driven_by_caller(page(queryset.select_related("patient", "slot")), DOCTOR_SLOTS)
        assert_driven_by_caller(queryset.order_by(), DOCTOR_SLOTS)
    for queryset in (Consultation.objects.visible_to(doctor), Consultation.objects.in_care_of(doctor)):
        assert_driven_by_caller(page(queryset.select_related("appointment")), DOCTOR_SLOTS)


def test_admin_lists_walk_the_index_of_their_ordering(scale):
    admin = scale["admin"]
    assert_driven_by_caller(page(Patient.objects.visible_to(admin).active()), 50)
    assert_driven_by_caller(page(TimeSlot.objects.with_availability()), 50)
    assert_driven_by_caller(page(Consultation.objects.visible_to(admin)), 50)
    assert_driven_by_caller(page(PatientDoctorMapping.objects.visible_to(admin)), 50)
    # Appointments by their slot's (date, start_time): the slots' index, one appointment per slot, and
    # an incremental sort by id that reads on to the end of the last (date, start_time) group.
    assert_driven_by_caller(page(Appointment.objects.visible_to(admin).select_related("slot")), 60)


def test_search_is_served_by_the_trigram_indexes(scale):
    for column in ("first_name", "last_name", "medical_record_number"):
        queryset = Patient.objects.filter(**{f"{column}__icontains": "st99"})
        used = {node.get("Index Name") for node in nodes(plan(queryset))}
        assert f"clinical_patient_{column}_trgm" in used


def test_a_record_number_prefix_is_a_range_of_its_btree(scale):
    used = {node.get("Index Name") for node in nodes(plan(Patient.objects.filter(
        medical_record_number__istartswith="scale-12")))}
    assert "clinical_patient_mrn_prefix" in used


def test_appointment_search_is_a_bitmap_or_of_trigram_indexes(scale):
    """PatientFieldsSearchFilter: the reason's index OR the patients' ids found by theirs."""
    request = Request(APIRequestFactory().get("/", {"search": "last99"}))
    view = AppointmentViewSet(action="list", detail=False)
    appointments = Appointment.objects.visible_to(scale["admin"])
    queryset = PatientFieldsSearchFilter().filter_queryset(request, appointments, view)
    used = {node.get("Index Name") for node in nodes(plan(queryset))}
    assert {"clinical_appointment_reason_trgm", "clinical_patient_last_name_trgm"} <= used
    assert_driven_by_caller(queryset.order_by(), PATIENTS // 10)
