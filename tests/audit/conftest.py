import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def admin_web(db):
    """Django admin's door: a test client with an admin's session (client.user)."""
    client = Client()
    client.user = UserFactory(admin=True, is_superuser=True)
    client.force_login(client.user)
    return client


@pytest.fixture
def changes_of():
    """changes_of(obj_or_model, pk=None) -> the change entries (create/update/delete) of one record, oldest first."""
    from django.contrib.contenttypes.models import ContentType

    from audit.choices import AuditAction
    from audit.models import AuditEntry

    def find(obj, pk=None):
        model = obj if isinstance(obj, type) else type(obj)
        return list(AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk if pk is not None else obj.pk),
            action__in=[AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]).order_by("timestamp", "id"))

    return find
