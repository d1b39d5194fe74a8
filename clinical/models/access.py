"""Break-glass: emergency read access to one patient outside the caller's scope, for a while.

A grant is never extended or edited by its holder: they post again, with a reason again. An
admin may revoke one. `live()` is the one definition of a grant in force; the patients'
`visible_to` (clinical/models/patients.py) adds the caller's live grants, so every read route
follows, and no write scope does."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.choices import Role


class BreakGlassGrantQuerySet(models.QuerySet):
    def live(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def visible_to(self, user):
        """Admins see every grant; anyone else their own."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        if user is None or user.pk is None:
            return self.none()
        return self.filter(user=user)

    def patient_ids_for(self, user):
        """The ids of the patients `user` may read under a live grant (a subquery, or an arm of a UNION:
        unordered; the index on (user, patient, expires_at) answers it)."""
        return self.live().filter(user=user).order_by().values("patient_id")


class BreakGlassGrant(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="break_glass_grants")
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="breakglass_user_patient_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")),
                                   name="clinical_breakglass_expires_after_start"),
        ]

    def __str__(self):
        return f"Break-glass #{self.pk} ({self.user_id} -> patient {self.patient_id})"

    @property
    def is_live(self):
        return self.revoked_at is None and self.expires_at > timezone.now()




class LiveGrantPatients:
    """For the read audit (audit.reads): the patients one user reads under a live grant, as the SQL
    of a subquery that PostgreSQL runs inside the read entries' INSERT (SQLite runs it before).
    Written out once: building the same ORM query on every request cost a third of what auditing
    a read costs. It says what `BreakGlassGrantQuerySet.live()` says (a test holds them together)."""

    def __init__(self, user, now=None):
        self.params = (user.pk, now or timezone.now())

    @staticmethod
    def sql():
        meta = BreakGlassGrant._meta
        column = {name: meta.get_field(name).column for name in ("patient", "user", "revoked_at", "expires_at")}
        return (f'SELECT "{column["patient"]}" FROM "{meta.db_table}" WHERE "{column["user"]}" = %s '  # noqa: S608
                f'AND "{column["revoked_at"]}" IS NULL AND "{column["expires_at"]}" > %s')

    def sql_with_params(self):
        return self.sql(), self.params


def read_under_grant(user, patient_ids):
    """The lookup clinical registers with audit.reads: nothing to look up for a role that holds no grants."""
    if getattr(user, "role", None) not in (Role.DOCTOR, Role.NURSE):
        return ()
    return LiveGrantPatients(user)
