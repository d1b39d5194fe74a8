"""Upload rule for patient documents: PDF, PNG or JPEG by their first bytes (never the name), 20 MB."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from core.uploads import Kind, UploadRule, check_upload

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# Images are recognised by signature, not decoded: a document is stored and served back as sent.
RULE = UploadRule(
    field="file",
    kinds=(Kind("application/pdf", "pdf", signature=b"%PDF-"),
           Kind("image/png", "png", signature=b"\x89PNG\r\n\x1a\n"),
           Kind("image/jpeg", "jpg", signature=b"\xff\xd8\xff")),
    max_bytes=MAX_DOCUMENT_BYTES,
    too_large=format_lazy(gettext_lazy("A document may be at most {mb} MB."), mb=MAX_DOCUMENT_BYTES // 2**20),
    too_large_detail=format_lazy(gettext_lazy("The file is larger than {mb} MB."), mb=MAX_DOCUMENT_BYTES // 2**20),
    not_allowed=gettext_lazy("Only PDF, PNG and JPEG files are accepted (checked by content)."),
)
# What a download answers: the type sniffed at upload.
CONTENT_TYPES = RULE.content_types


def sniff(upload):
    """(content type, extension) of an accepted upload; 413 when too large, 400 when not PDF/PNG/JPEG."""
    return check_upload(upload, RULE)
