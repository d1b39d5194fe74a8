"""Work-order photos: images only, checked by content (Pillow), 5 MB at most."""

from rest_framework import serializers

from core.errors import PayloadTooLarge

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Pillow format -> the extension and content type the photo is stored and served with.
ALLOWED_FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "GIF": (".gif", "image/gif"),
    "WEBP": (".webp", "image/webp"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in ALLOWED_FORMATS.values()}


class PhotoField(serializers.ImageField):
    """An ImageField that refuses oversized uploads with 413 before decoding them, accepts only
    the common photo formats, and names the stored file after its real format, not its given name."""

    def to_internal_value(self, data):
        if getattr(data, "size", 0) > MAX_PHOTO_BYTES:
            raise PayloadTooLarge(f"The photo exceeds {MAX_PHOTO_BYTES // (1024 * 1024)} MB.",
                                  code="photo_too_large", errors={"photo": ["The photo is larger than 5 MB."]})
        upload = super().to_internal_value(data)  # Django's ImageField: Pillow opens and verifies it
        image_format = getattr(getattr(upload, "image", None), "format", None)
        if image_format not in ALLOWED_FORMATS:
            raise serializers.ValidationError("Upload a JPEG, PNG, GIF or WebP image.")
        extension, content_type = ALLOWED_FORMATS[image_format]
        upload.name = f"photo{extension}"
        upload.content_type = content_type
        return upload
