from django.db import models


class AuditAction(models.IntegerChoices):
    """django-auditlog's action numbers (its LogEntry.Action); the API names them. A read of a
    patient's data is auditlog's ACCESS."""

    CREATE = 0, "create"
    UPDATE = 1, "update"
    DELETE = 2, "delete"
    READ = 3, "read"


class DataKind(models.TextChoices):
    """What kind of a patient's data an entry is about (the access log's "what")."""

    PATIENT_RECORD = "patient_record", "patient record"
    READINGS = "readings", "heart-rate readings"
    ALERTS = "alerts", "alerts"
    APPOINTMENTS = "appointments", "appointments"
    CONSULTATIONS = "consultations", "consultations"
    DOCUMENTS = "documents", "documents"
    CARE_TEAM = "care_team", "care team"
    BREAK_GLASS = "break_glass", "emergency access"
    EQUIPMENT = "equipment", "equipment"
    ORGANISATION = "organisation", "organisation"
    ACCOUNTS = "accounts", "accounts"
