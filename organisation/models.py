from django.db import models


class Department(models.Model):
    """A hospital department: staff belong to one (`User.department`), patients may too."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The model moved here from clinical; its table kept its name, so no data moved.
        db_table = "clinical_department"
        ordering = ["name"]

    def __str__(self):
        return self.name
