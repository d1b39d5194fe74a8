"""Work-order photos: JPEG, PNG, GIF or WebP, decoded and verified by Pillow (core.uploads), 5 MB at most."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.uploads import Kind, UploadRule, check_upload

MAX_PHOTO_BYTES = 5 * 1024 * 1024
RULE = UploadRule(
    field="photo",
    kinds=(Kind("image/jpeg", "jpg", pillow_format="JPEG"), Kind("image/png", "png", pillow_format="PNG"),
           Kind("image/gif", "gif", pillow_format="GIF"), Kind("image/webp", "webp", pillow_format="WEBP")),
    max_bytes=MAX_PHOTO_BYTES,
    too_large=format_lazy(gettext_lazy("The photo exceeds {mb} MB."), mb=MAX_PHOTO_BYTES // 2**20),
    too_large_detail=format_lazy(gettext_lazy("The photo is larger than {mb} MB."), mb=MAX_PHOTO_BYTES // 2**20),
    too_large_code="photo_too_large",
    not_allowed=gettext_lazy("Upload a JPEG, PNG, GIF or WebP image."),
    unreadable=serializers.ImageField.default_error_messages["invalid_image"],
)
# Stored extension -> the content type the photo route serves it with.
CONTENT_TYPES = {f".{kind.extension}": kind.content_type for kind in RULE.kinds}


class PhotoField(serializers.FileField):
    """A file field that refuses oversized uploads with 413 before reading them, accepts only the
    common photo formats, and names the stored file after its real format, not its given name."""

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)  # a file with a name, not empty; nothing read yet
        upload.content_type, extension = check_upload(upload, RULE, as_field=True)
        upload.name = f"photo.{extension}"
        return upload
