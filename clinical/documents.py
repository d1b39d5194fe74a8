"""Upload rule for patient documents: PDF, PNG or JPEG by their first bytes (never the name), 20 MB."""

from core.uploads import Kind, UploadRule, check_upload

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# Images are recognised by signature, not decoded: a document is stored and served back as sent.
RULE = UploadRule(
    field="file",
    kinds=(Kind("application/pdf", "pdf", signature=b"%PDF-"),
           Kind("image/png", "png", signature=b"\x89PNG\r\n\x1a\n"),
           Kind("image/jpeg", "jpg", signature=b"\xff\xd8\xff")),
    max_bytes=MAX_DOCUMENT_BYTES,
    too_large=f"A document may be at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
    too_large_detail="The file is larger than 20 MB.",
    not_allowed="Only PDF, PNG and JPEG files are accepted (checked by content).",
)
# What a download answers: the type sniffed at upload.
CONTENT_TYPES = RULE.content_types


def sniff(upload):
    """(content type, extension) of an accepted upload; 413 when too large, 400 when not PDF/PNG/JPEG."""
    return check_upload(upload, RULE)
