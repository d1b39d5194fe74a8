import io
import os

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded photos go to a throwaway directory, never the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(size=(40, 30), noise=False):
    if noise:  # random pixels do not compress: a big file
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
