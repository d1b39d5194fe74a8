"""Both PDF routes answer through core.pdf: the same content type and the same download form."""

import re

import pytest

from accounts.choices import Role
from tests.factories.clinical import ConsultationFactory
from tests.factories.equipment import WorkOrderFactory

pytestmark = pytest.mark.django_db

DOWNLOAD = re.compile(r'attachment; filename="[^"/\\]+\.pdf"')


def test_both_pdf_routes_answer_the_same_disposition(client_for):
    admin = client_for(Role.ADMIN)
    consultation, work_order = ConsultationFactory(), WorkOrderFactory()
    answers = {"consultation": admin.get(f"/api/consultations/{consultation.id}/pdf/"),
               "work order": admin.get(f"/api/workorders/{work_order.id}/pdf/")}
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-"), name
        assert DOWNLOAD.fullmatch(response["Content-Disposition"]), (name, response["Content-Disposition"])
    consultation_name = f"consultation-{consultation.pk}.pdf"
    assert answers["consultation"]["Content-Disposition"] == f'attachment; filename="{consultation_name}"'
    assert answers["work order"]["Content-Disposition"] == f'attachment; filename="{work_order.work_number}.pdf"'
