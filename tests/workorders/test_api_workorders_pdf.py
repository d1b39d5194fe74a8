"""Work orders: the PDF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from accounts.choices import Role
from tests.workorders.conftest import png_bytes, post_with_photo
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


# --- PDF -----------------------------------------------------------------------------------------

def pdf_text(response):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_work_order_pdf_is_a_real_pdf_with_the_work_number(team):
    WorkOrder.objects.filter(pk=team.order.pk).update(technical_action="Swapped <the> board & tested")
    response = team.clients[Role.NURSE].get(f"/api/workorders/{team.order.id}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response)
    assert team.order.work_number in text and team.device.asset_number in text
    assert "Swapped <the> board & tested" in text


def test_work_order_pdf_includes_the_photo(team):
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("p.png", png_bytes(size=(400, 300)), content_type="image/png"))
    order_id = response.json()["id"]
    pdf = team.clients[Role.ADMIN].get(f"/api/workorders/{order_id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert response.json()["work_number"] in pdf_text(pdf)


def test_work_order_pdf_lists_the_checklist_with_its_results(team):
    steps = ["Check the alarm volume", "Measure the flow rate at 100 ml/h", "Inspect the power cord"]
    order = WorkOrder.objects.create(
        work_number="WO-PM-0001", device=team.device, description="Quarterly PM", work_type="PM",
        created_by=team.nurse, assigned_to=team.engineer, due_date=team.order.due_date, checklist=steps,
        checklist_results=[{"step": steps[0], "passed": True, "remark": ""},
                           {"step": steps[1], "passed": False, "remark": "Reads 92 <ml/h> & drifts"}])
    text = pdf_text(team.clients[Role.ENGINEER].get(f"/api/workorders/{order.id}/pdf/"))
    assert "Checklist" in text and all(step in text for step in steps)
    assert "Passed" in text and "FAILED" in text and "Reads 92 <ml/h> & drifts" in text


def test_work_order_pdf_without_a_checklist_has_no_checklist_section(team):
    text = pdf_text(team.clients[Role.NURSE].get(f"/api/workorders/{team.order.id}/pdf/"))
    assert "Checklist" not in text
