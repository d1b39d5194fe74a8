"""The clinical nested lists (core.viewsets.BaseViewSet.nested_list): ?search= and ?ordering= over their
own rows, an unknown ordering falling back to the default, and a schema naming only their parameters."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from clinical.choices import AppointmentStatus
from clinical.models import AppointmentHistory, PatientDocument
from tests.factories import PatientFactory
from tests.factories.accounts import DoctorProfileFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

NESTED = {  # path -> the query parameters its schema advertises
    "/api/patients/{id}/doctors/": {"ordering", "search", "page", "page_size", "after", "before"},
    "/api/patients/{id}/consultations/": {"ordering", "search", "page", "page_size", "after", "before"},
    "/api/patients/{id}/documents/": {"ordering", "search", "page", "page_size", "after", "before"},
    "/api/appointments/{id}/history/": {"ordering", "search", "page", "page_size", "after", "before"},
    "/api/consultations/{id}/vital-signs/": {"ordering", "page", "page_size", "after", "before"},
    "/api/consultations/{id}/prescriptions/": {"ordering", "search", "page", "page_size", "after", "before"},
    "/api/consultations/{id}/notes/": {"ordering", "search", "page", "page_size", "after", "before"},
}


def _ids(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def documents(nurse_client, department, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    patient = PatientFactory(department=department)
    made = []
    for title in ("Blood count", "Chest X-ray", "Referral"):
        response = nurse_client.post(f"/api/patients/{patient.id}/documents/",
                                     {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"), "kind": "lab_report",
                                      "title": title}, format="multipart")
        assert response.status_code == 201, response.content
        made.append(PatientDocument.objects.get(pk=response.json()["id"]))
    return patient, made


def test_documents_search_and_order(nurse_client, documents):
    patient, (blood, chest, referral) = documents
    url = f"/api/patients/{patient.id}/documents/"
    assert _ids(nurse_client, url) == [referral.id, chest.id, blood.id]  # newest first
    assert _ids(nurse_client, f"{url}?search=chest") == [chest.id]
    assert _ids(nurse_client, f"{url}?search=a.pdf") == [referral.id, chest.id, blood.id]  # original_name
    assert _ids(nurse_client, f"{url}?ordering=title") == [blood.id, chest.id, referral.id]
    assert _ids(nurse_client, f"{url}?ordering=-title&search=r") == [referral.id, chest.id]
    # An unknown field is dropped, as on every list: the default order.
    assert _ids(nurse_client, f"{url}?ordering=patient__last_name") == [referral.id, chest.id, blood.id]


def test_history_search_and_order(doctor_client):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile))
    for note in ("moved to Friday", "moved back"):
        AppointmentHistory.objects.create(appointment=appointment, to_status=AppointmentStatus.SCHEDULED, note=note)
    made = list(appointment.history.order_by("changed_at", "id"))  # the booking's entry, then these two
    assert len(made) == 3
    url = f"/api/appointments/{appointment.id}/history/"
    assert _ids(doctor_client, url) == [entry.id for entry in made]  # oldest first
    assert _ids(doctor_client, f"{url}?search=moved") == [made[1].id, made[2].id]
    assert _ids(doctor_client, f"{url}?search=moved friday") == [made[1].id]
    assert _ids(doctor_client, f"{url}?ordering=-id") == [entry.id for entry in reversed(made)]
    assert _ids(doctor_client, f"{url}?ordering=note") == [entry.id for entry in made]  # not offered: default
    # The appointment list's own filters are not this list's: ?status= neither hides rows nor the parent.
    assert _ids(doctor_client, f"{url}?status=cancelled") == [entry.id for entry in made]


def test_patient_doctors_search_and_order(admin_client):
    patient = PatientFactory()
    cardio = DoctorProfileFactory(specialization="Cardiology")
    neuro = DoctorProfileFactory(specialization="Neurology")
    for doctor in (neuro, cardio):
        assert admin_client.post("/api/mappings/", {"patient": patient.id, "doctor": doctor.id}).status_code == 201
    url = f"/api/patients/{patient.id}/doctors/"
    assert _ids(admin_client, url) == sorted([cardio.id, neuro.id])
    assert _ids(admin_client, f"{url}?search=neuro") == [neuro.id]
    assert _ids(admin_client, f"{url}?search={cardio.user.last_name}") == [cardio.id]
    assert _ids(admin_client, f"{url}?ordering=-specialization") == [neuro.id, cardio.id]
    assert _ids(admin_client, f"{url}?ordering=user__username") == sorted([cardio.id, neuro.id])


def test_nested_lists_advertise_only_their_own_parameters():
    spec = SchemaGenerator().get_schema(request=None, public=True)
    for path, expected in NESTED.items():
        parameters = {p["name"] for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert parameters == expected, path
