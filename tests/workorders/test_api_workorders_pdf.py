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
