"""core.uploads: one check for both upload rules (patient documents, work-order photos)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.exceptions import ValidationError

from clinical import documents
from core.errors import PayloadTooLarge
from core.uploads import check_upload
from workorders import photos

SIGNATURE_ONLY_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def image_bytes(image_format):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(content, name="upload.bin"):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("image_format, expected", [("PNG", ("image/png", "png")), ("JPEG", ("image/jpeg", "jpg")),
                                                    ("GIF", ("image/gif", "gif")), ("WEBP", ("image/webp", "webp"))])
def test_a_photo_is_known_by_its_content_whatever_its_name(image_format, expected):
    assert check_upload(upload(image_bytes(image_format), name="notes.txt"), photos.RULE) == expected


def test_a_photo_of_another_image_format_names_the_allowed_ones():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(image_bytes("BMP")), photos.RULE)
    assert refused.value.detail == {"photo": ["Upload a JPEG, PNG, GIF or WebP image."]}


def test_a_photo_pillow_cannot_read_is_refused_as_a_serializer_field_error():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(SIGNATURE_ONLY_PNG), photos.RULE, as_field=True)
    assert [str(message) for message in refused.value.detail] == [
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."]


def test_a_document_image_is_known_by_its_signature_alone():
    # Documents are stored as sent: a PNG signature is enough, Pillow is not asked.
    assert check_upload(upload(SIGNATURE_ONLY_PNG), documents.RULE) == ("image/png", "png")
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(b"MZ\x90\x00 an executable"), documents.RULE)
    assert refused.value.detail == {"file": ["Only PDF, PNG and JPEG files are accepted (checked by content)."]}


@pytest.mark.parametrize("rule, code", [(documents.RULE, "payload_too_large"), (photos.RULE, "photo_too_large")])
def test_over_the_limit_is_413_with_the_rules_code_and_field(rule, code):
    with pytest.raises(PayloadTooLarge) as refused:
        check_upload(upload(b"%PDF-" + b"0" * rule.max_bytes), rule)
    assert refused.value.get_codes() == code and list(refused.value.errors) == [rule.field]
