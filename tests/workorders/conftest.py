import io
import os
from types import SimpleNamespace

import pytest
from PIL import Image

from accounts.choices import Role
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory


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


@pytest.fixture
def team(client_for):
    """An engineer and a nurse sharing a device; a work order the nurse reported on it; another
    engineer's device with a work order reported by another nurse."""
    engineer, nurse = UserFactory(engineer=True), UserFactory(nurse=True)
    device = DeviceFactory(assigned_engineer=engineer, assigned_nurses=[nurse])
    order = WorkOrderFactory(device=device, created_by=nurse)
    other = WorkOrderFactory()
    return SimpleNamespace(
        engineer=engineer, nurse=nurse, device=device, order=order, other=other,
        clients={Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer),
                 Role.NURSE: client_for(nurse), Role.DOCTOR: client_for(Role.DOCTOR),
                 Role.PATIENT: client_for(Role.PATIENT)},
    )


def post_with_photo(client, device, upload):
    return client.post("/api/workorders/", {"device": device.id, "description": "Cracked casing",
                                            "work_type": "CM", "priority": "high", "photo": upload},
                       format="multipart")
