"""One check for uploaded files: the kind comes from the content, never the name or the client's
content type; the size from the route's limit. 413 when too large, 400 when not an allowed kind.

Each caller states its rule (clinical/documents.py, workorders/photos.py): the kinds it accepts, how
each is recognised, the limit and its own words for the two refusals.
"""

from dataclasses import dataclass

from PIL import Image
from rest_framework.exceptions import ValidationError

from core.errors import PayloadTooLarge


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file: recognised by its first bytes (`signature`), or decoded and verified
    by Pillow (`pillow_format`, e.g. "PNG") when a broken image must not pass."""

    content_type: str
    extension: str  # the stored file's extension, without the dot
    signature: bytes = b""
    pillow_format: str = ""


@dataclass(frozen=True)
class UploadRule:
    field: str  # the request field the errors name
    kinds: tuple[Kind, ...]
    max_bytes: int
    too_large: str  # the 413's message
    too_large_detail: str  # the 413's message for the field
    not_allowed: str  # the 400's message
    unreadable: str = ""  # the 400's message when Pillow cannot read the file (default: not_allowed)
    too_large_code: str = PayloadTooLarge.default_code

    @property
    def content_types(self):
        return [kind.content_type for kind in self.kinds]


def check_upload(upload, rule: UploadRule, *, as_field=False) -> tuple[str, str]:
    """(content type, extension) of an accepted upload, else PayloadTooLarge or ValidationError.
    A serializer field passes as_field: DRF files its error under the field's name itself."""
    if (upload.size or 0) > rule.max_bytes:
        raise PayloadTooLarge(rule.too_large, code=rule.too_large_code, errors={rule.field: [rule.too_large_detail]})
    kind, refusal = _recognise(upload, rule)
    if kind is None:
        raise ValidationError([refusal] if as_field else {rule.field: [refusal]})
    return kind.content_type, kind.extension


def _recognise(upload, rule):
    """(the matching kind, None) or (None, why not)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for kind in rule.kinds:
        if kind.signature and head.startswith(kind.signature):
            return kind, None
    by_format = {kind.pillow_format: kind for kind in rule.kinds if kind.pillow_format}
    if not by_format:
        return None, rule.not_allowed
    try:
        # verify() checks the whole file without decoding the pixels, as Django's ImageField does.
        with Image.open(upload) as image:
            image.verify()
            image_format = image.format
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, DecompressionBombError, ...)
        return None, rule.unreadable or rule.not_allowed
    finally:
        upload.seek(0)
    kind = by_format.get(image_format)
    return (kind, None) if kind else (None, rule.not_allowed)
