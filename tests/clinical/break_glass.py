"""What the break-glass tests share: a patient outside everyone's care (with a doctor of their own),
granting through the API, and ending a grant without waiting for it."""
from datetime import timedelta

from django.utils import timezone

from clinical.models import BreakGlassGrant
from tests.factories import PatientDoctorMappingFactory, PatientFactory

REASON = "Unconscious in the emergency room, no records at hand"


def outside_patient(**fields):
    """A patient in another department, mapped to a doctor of their own (who is told of grants)."""
    patient = PatientFactory(**fields)
    PatientDoctorMappingFactory(patient=patient)
    return patient


def grant(client, patient, reason=REASON):
    response = client.post(f"/api/patients/{patient.pk}/break-glass/", {"reason": reason}, format="json")
    assert response.status_code == 201, response.content
    return BreakGlassGrant.objects.get(pk=response.json()["id"])


def expire(grant_):
    """As if BREAK_GLASS_MINUTES had passed (created_at moves too: the check constraint)."""
    BreakGlassGrant.objects.filter(pk=grant_.pk).update(created_at=timezone.now() - timedelta(hours=5),
                                                         expires_at=timezone.now() - timedelta(seconds=1))
