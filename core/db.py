"""Database helpers every app shares."""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError


@contextmanager
def unique_or_400(field, message):
    """Writes whose uniqueness the database guarantees: a lost race (the check before passed, the
    insert did not) is a 400 naming the field, never a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ValidationError({field: [message]}) from exc


def save_unique(serializer, *, field, message):
    with unique_or_400(field, message):
        return serializer.save()
