import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from clinical.documents import MAX_DOCUMENT_BYTES
from clinical.models import PatientDocument
from core.testing import assert_error
from tests.factories import PatientFactory
from tests.factories.clinical import ConsultationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def dept_patient(department):
    return PatientFactory(department=department)


def _upload(client, patient, content=PDF, name="report.pdf", **fields):
    return client.post(f"/api/patients/{patient.id}/documents/",
                       {"file": SimpleUploadedFile(name, content), "kind": "lab_report", "title": "Blood", **fields},
                       format="multipart")


def test_nurse_uploads_and_downloads_by_content_type(nurse_client, dept_patient):
    response = _upload(nurse_client, dept_patient, content=PNG, name="scan.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png" and body["original_name"] == "scan.pdf"
    stored = PatientDocument.objects.get(pk=body["id"])
    assert "scan" not in stored.file.name and stored.file.name.endswith(".png")
    download = nurse_client.get(f"/api/patients/{dept_patient.id}/documents/{stored.id}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_non_document_content_is_refused(nurse_client, dept_patient):
    assert_error(_upload(nurse_client, dept_patient, content=b"MZ\x90\x00 not a pdf", name="x.pdf"), 400,
                 fields=["file"])
    assert not PatientDocument.objects.exists()


def test_oversized_file_is_413(nurse_client, dept_patient):
    response = _upload(nurse_client, dept_patient, content=PDF + b"0" * MAX_DOCUMENT_BYTES)
    assert_error(response, 413, "payload_too_large")
    assert not PatientDocument.objects.exists()


def test_consultation_of_another_patient_is_refused(admin_client, dept_patient):
    other = ConsultationFactory()
    assert_error(_upload(admin_client, dept_patient, consultation=other.id), 400, fields=["consultation"])
    assert not PatientDocument.objects.exists()


def test_patient_uploads_and_reads_own_but_not_others(patient_client, other_patient):
    own = patient_client.user.patient_record
    assert _upload(patient_client, own).status_code == 201
    assert len(patient_client.get(f"/api/patients/{own.id}/documents/").json()["results"]) == 1
    assert_error(_upload(patient_client, other_patient), 404)
    assert_error(patient_client.get(f"/api/patients/{other_patient.id}/documents/"), 404)
    assert PatientDocument.objects.count() == 1


def test_engineer_cannot_touch_documents(engineer_client, dept_patient):
    assert_error(_upload(engineer_client, dept_patient), 403)
    assert_error(engineer_client.get(f"/api/patients/{dept_patient.id}/documents/"), 403)


def test_delete_by_uploader_or_admin_archives(nurse_client, client_for, admin_client, dept_patient, department):
    doc_id = _upload(nurse_client, dept_patient).json()["id"]
    url = f"/api/patients/{dept_patient.id}/documents/{doc_id}/"
    colleague = client_for(Role.NURSE, department=department)
    assert colleague.get(url).status_code == 200
    assert_error(colleague.delete(url), 404)  # not theirs to archive: out of the scope of DELETE
    assert nurse_client.delete(url).status_code == 204
    document = PatientDocument.objects.get(pk=doc_id)
    assert document.is_archived and document.file.storage.exists(document.file.name)
    assert_error(admin_client.get(url), 404)
    assert_error(nurse_client.get(f"{url}download/"), 404)
