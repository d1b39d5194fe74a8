"""Upload checks for patient documents: the type comes from the file's first bytes, never its name."""

from rest_framework.exceptions import ValidationError

from core.errors import PayloadTooLarge

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# magic bytes -> (content type, stored extension)
SIGNATURES = [
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
]
# What a download answers: the type sniffed at upload.
CONTENT_TYPES = [content_type for _signature, (content_type, _extension) in SIGNATURES]


def sniff(upload):
    """(content type, extension) of an accepted upload; 413 when too large, 400 when not PDF/PNG/JPEG."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"A document may be at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
                              errors={"file": ["The file is larger than 20 MB."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    raise ValidationError({"file": ["Only PDF, PNG and JPEG files are accepted (checked by content)."]})
