"""Django admin is a second door: opening a record's page or a changelist of patients' data there is
an audited read (audit.admin_reads), one entry per patient per request, nothing for a refused page."""

import pytest
from django.contrib import admin
from django.test import Client

from audit.admin_reads import AuditReadsAdminMixin
from audit.choices import AuditAction, DataKind
from audit.middleware import AuditMiddleware
from audit.models import AuditEntry
from clinical.models import Consultation, Patient
from core.middleware import RequestIdMiddleware
from monitoring.choices import AlertKind
from tests.factories import PatientFactory, UserFactory
from tests.factories.clinical import ConsultationFactory
from tests.factories.monitoring import AlertFactory, ReadingFactory, monitored_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(admin=True, is_superuser=True)


@pytest.fixture
def site(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def read_entries(**filters):
    return list(AuditEntry.objects.filter(action=AuditAction.READ, **filters).select_related("content_type"))


def test_an_alerts_admin_page_is_a_read_of_the_patients_alerts(site, superuser):
    alert = AlertFactory(patient=monitored_patient()[0])
    response = site.get(f"/admin/monitoring/alert/{alert.id}/change/", HTTP_X_REQUEST_ID="admin-alert")
    assert response.status_code == 200
    (entry,) = read_entries(cid="admin-alert")
    assert (entry.patient_id, entry.data_kind, entry.object_id, entry.actor_id) == (
        alert.patient_id, DataKind.ALERTS, alert.id, superuser.id)
    assert entry.content_type.model == "alert"


def test_a_changelist_is_one_entry_per_patient_shown(site):
    (first, monitor), (second, other) = monitored_patient(), monitored_patient()
    ReadingFactory.create_batch(3, patient=first, device=monitor)
    single = ReadingFactory(patient=second, device=other)
    assert site.get("/admin/monitoring/reading/", HTTP_X_REQUEST_ID="admin-readings").status_code == 200
    entries = {e.patient_id: (e.data_kind, e.object_id, e.object_repr) for e in read_entries(cid="admin-readings")}
    assert entries == {first.id: (DataKind.READINGS, None, f"3 readings of patient #{first.id}"),
                       second.id: (DataKind.READINGS, single.id, f"reading #{single.id}")}


@pytest.mark.parametrize(("page", "kind"), [("patient", DataKind.PATIENT_RECORD),
                                            ("consultation", DataKind.CONSULTATIONS)])
def test_clinical_admin_pages_are_reads(site, page, kind):
    consultation = ConsultationFactory()
    patient = consultation.appointment.patient
    pk = patient.pk if page == "patient" else consultation.pk
    assert site.get(f"/admin/clinical/{page}/{pk}/change/", HTTP_X_REQUEST_ID=f"admin-{page}").status_code == 200
    (entry,) = read_entries(cid=f"admin-{page}")
    assert (entry.patient_id, entry.data_kind, entry.object_id, entry.content_type.model) == (
        patient.pk, kind, pk, page)


def test_a_missing_record_or_a_refused_page_records_nothing(site, client):
    assert site.get("/admin/monitoring/alert/999999/change/").status_code == 302  # admin's "does not exist"
    alert = AlertFactory(patient=PatientFactory(), kind=AlertKind.BRADYCARDIA)
    assert client.get(f"/admin/monitoring/alert/{alert.id}/change/").status_code == 302  # to the login page
    assert client.get("/admin/monitoring/alert/").status_code == 302
    assert read_entries() == []


class PatientReadsAdmin(AuditReadsAdminMixin, admin.ModelAdmin):
    pass


class ConsultationReadsAdmin(AuditReadsAdminMixin, admin.ModelAdmin):
    list_select_related = ["appointment"]


@pytest.mark.parametrize(("model_admin", "make", "kind", "patient_of"), [
    (PatientReadsAdmin, PatientFactory, DataKind.PATIENT_RECORD, lambda obj: obj.id),
    (ConsultationReadsAdmin, ConsultationFactory, DataKind.CONSULTATIONS, lambda obj: obj.appointment.patient_id),
])
def test_the_mixin_takes_kind_and_patient_from_the_registry(rf, superuser, model_admin, make, kind, patient_of):
    obj = make()
    model = type(obj)
    instance = model_admin(model, admin.AdminSite())

    def serve(view):
        request = rf.get("/", HTTP_X_REQUEST_ID=f"mixin-{model.__name__}-{view}")
        request.user = superuser
        page = (lambda req: instance.change_view(req, str(obj.pk))) if view == "change" else instance.changelist_view
        assert RequestIdMiddleware(AuditMiddleware(page))(request).status_code == 200
        return read_entries(cid=f"mixin-{model.__name__}-{view}")

    (entry,) = serve("change")
    assert (entry.patient_id, entry.data_kind, entry.object_id) == (patient_of(obj), kind, obj.pk)
    (entry,) = serve("changelist")
    assert (entry.patient_id, entry.data_kind, entry.object_id) == (patient_of(obj), kind, obj.pk)


def test_the_registry_covers_the_models_the_admin_mixin_is_meant_for():
    # Patient and Consultation above; these need nothing more than the mixin either.
    from audit.registry import spec_for
    from clinical.models import Appointment, ConsultationNote, PatientDocument, Prescription, VitalSigns

    for model in (Patient, Consultation, Appointment, VitalSigns, Prescription, ConsultationNote, PatientDocument):
        assert spec_for(model) is not None and spec_for(model).patient, model
