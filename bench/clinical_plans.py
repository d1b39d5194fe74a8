"""EXPLAIN ANALYZE of the clinical scoped lists, before and after issue 15's rewrite, in one run.

Usage (a database built by `manage.py build_scale_data --scale 1`, then VACUUM ANALYZE):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/clinical_plans.py [--runs 5]

For each list and role: the server-side execution time (median of --runs) of the 50-row page and of
the count, with the scope as it was (the correlated `Exists() OR Exists()`, the ORs with subqueries,
the slot's Exists()) and without the new indexes (dropped inside a transaction that is rolled back),
then as it is now; and whether a sequential scan of a large clinical table remains. "Before" is
rebuilt here from the old code, so both sides run against the same rows in the same minute.
"""
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Exists, OuterRef, Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.filters import SearchFilter  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from accounts.models import User  # noqa: E402
from clinical.filters import PatientFieldsSearchFilter  # noqa: E402
from clinical.models import (  # noqa: E402
    Appointment,
    BreakGlassGrant,
    Consultation,
    Patient,
    PatientDoctorMapping,
    TimeSlot,
    not_started_q,
)
from clinical.views.scheduling import AppointmentViewSet  # noqa: E402

LARGE = ("clinical_patient", "clinical_appointment", "clinical_timeslot", "clinical_consultation")
NEW_BTREE = ["clinical_patient_name_idx", "clinical_patient_dept_name_idx", "clinical_slot_date_start_idx",
             "clinical_slot_doctor_date_idx", "clinical_appt_doctor_idx", "clinical_consult_created_idx",
             "clinical_mapping_doctor_idx", "clinical_mapping_created_idx"]
TRIGRAM = ["clinical_patient_first_name_trgm", "clinical_patient_last_name_trgm",
           "clinical_patient_medical_record_number_trgm", "clinical_patient_mrn_prefix",
           "clinical_appointment_reason_trgm"]
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5


# --- the scopes as they were (clinical/models before issue 15) -------------------------------------

def old_patients(user):
    grants = Q(pk__in=BreakGlassGrant.objects.live().filter(user=user).values("patient_id"))
    if user.role == "admin":
        return Patient.objects.all()
    if user.role == "doctor":
        mapped = PatientDoctorMapping.objects.filter(patient=OuterRef("pk"), doctor__user=user)
        booked = Appointment.objects.filter(patient=OuterRef("pk"), doctor__user=user)
        return Patient.objects.filter(Q(Exists(mapped)) | Q(Exists(booked)) | grants)
    return Patient.objects.filter(Q(department_id=user.department_id) | grants)


def old_appointments(user):
    grants = Q(patient__in=BreakGlassGrant.objects.live().filter(user=user).values("patient_id"))
    if user.role == "admin":
        return Appointment.objects.all()
    if user.role == "doctor":
        return Appointment.objects.filter(Q(doctor__user=user) | grants)
    return Appointment.objects.filter(Q(patient__department_id=user.department_id) | grants)


def old_consultations(user):
    return Consultation.objects.filter(appointment__in=old_appointments(user))


def old_slots():
    live = Appointment.objects.filter(slot=OuterRef("pk")).exclude(status="cancelled")
    return TimeSlot.objects.annotate(is_booked=Exists(live))


def search(queryset, term):
    return queryset.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term)
                           | Q(medical_record_number__icontains=term))


def appointment_search(queryset, term, backend):
    """?search= on /appointments/ as DRF's SearchFilter (before) or PatientFieldsSearchFilter (now) asks it."""
    request = Request(APIRequestFactory().get("/", {"search": term}))
    return backend().filter_queryset(request, queryset, AppointmentViewSet(action="list", detail=False))


def mrn_prefix(queryset):
    return queryset.filter(is_archived=False, medical_record_number__istartswith="mrn-00123")


# --- measuring -----------------------------------------------------------------------------------

def explain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {sql}", params or None)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
    seq = {name for name in re.findall(r"Seq Scan on (\w+)", plan) if name in LARGE}
    return ms, seq


def counted(queryset):
    """The SQL and parameters of the paginator's `queryset.count()`, as Django writes it."""
    with CaptureQueriesContext(connection) as captured:
        queryset.count()
    return captured.captured_queries[-1]["sql"], None  # interpolated: run without parameters


def measure(queryset, drop=()):
    """(page ms, count ms, large tables seq-scanned): medians of RUNS, the `drop` indexes absent."""
    page_sql = queryset[:50].query.sql_with_params()
    count_sql = counted(queryset)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in drop:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        pages, counts, seq = [], [], set()
        for _ in range(RUNS):
            for timings, (sql, args) in ((pages, page_sql), (counts, count_sql)):
                ms, scanned = explain(sql, args)
                timings.append(ms)
                seq |= scanned
        transaction.set_rollback(True)
    return statistics.median(pages), statistics.median(counts), seq


def main():
    admin = User.objects.get(username="scale-admin")
    doctor = User.objects.get(username="scale-doctor-1")
    nurse = User.objects.get(username="scale-nurse-1")
    rows = [
        ("patients", "admin", old_patients(admin).filter(is_archived=False),
         Patient.objects.visible_to(admin).active()),
        ("patients", "doctor", old_patients(doctor).filter(is_archived=False),
         Patient.objects.visible_to(doctor).active()),
        ("patients", "nurse", old_patients(nurse).filter(is_archived=False),
         Patient.objects.visible_to(nurse).active()),
        ("patients ?search=patient0012", "admin", search(old_patients(admin), "patient0012"),
         search(Patient.objects.visible_to(admin), "patient0012")),
        ("patients ?medical_record_number=", "admin", mrn_prefix(old_patients(admin)),
         mrn_prefix(Patient.objects.visible_to(admin))),
        ("appointments", "admin", old_appointments(admin), Appointment.objects.visible_to(admin)),
        ("appointments", "doctor", old_appointments(doctor), Appointment.objects.visible_to(doctor)),
        ("appointments", "nurse", old_appointments(nurse), Appointment.objects.visible_to(nurse)),
        ("appointments ?search=patient0012", "admin",
         appointment_search(old_appointments(admin), "patient0012", SearchFilter),
         appointment_search(Appointment.objects.visible_to(admin), "patient0012", PatientFieldsSearchFilter)),
        ("consultations", "admin", old_consultations(admin), Consultation.objects.visible_to(admin)),
        ("consultations", "doctor", old_consultations(doctor), Consultation.objects.visible_to(doctor)),
        ("consultations", "nurse", old_consultations(nurse), Consultation.objects.visible_to(nurse)),
        ("time-slots", "any", old_slots(), TimeSlot.objects.with_availability()),
        ("time-slots ?available=true", "any", old_slots().filter(not_started_q(), is_booked=False),
         TimeSlot.objects.with_availability().upcoming().booked(False)),
        ("mappings", "admin", PatientDoctorMapping.objects.visible_to(admin),
         PatientDoctorMapping.objects.visible_to(admin)),
    ]
    print(f"{'list':34s} {'role':7s} {'page ms before':>14s} {'after':>8s} {'count ms before':>15s} {'after':>8s}"
          "  seq scans before -> after")
    for name, role, before, after in rows:
        b_page, b_count, b_seq = measure(before, drop=NEW_BTREE + TRIGRAM)
        a_page, a_count, a_seq = measure(after)
        print(f"{name:34s} {role:7s} {b_page:14.2f} {a_page:8.2f} {b_count:15.2f} {a_count:8.2f}"
              f"  {','.join(sorted(b_seq)) or '-'} -> {','.join(sorted(a_seq)) or '-'}")


if __name__ == "__main__":
    main()
