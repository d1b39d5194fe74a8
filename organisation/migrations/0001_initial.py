"""Department moves here from clinical, state only: the table `clinical_department` stays where it
is, with its rows (clinical.0007 drops the model from clinical's state).

Kept on purpose: on a database made before the move, the content type row is still
("clinical", "department"), and everything that names departments by content type points at it:
the four model permissions (auth_permission) with every user's and group's grants of them, and the
admin history (django_admin_log). Renaming that one row in place carries them all over; without it
`migrate` would create a fresh ("organisation", "department") with new permissions, the old grants
would silently stop applying and `remove_stale_contenttypes` would later delete them and the history.
On a new database there is no content type yet (post_migrate creates it afterwards): a no-op."""

from django.db import migrations, models


def content_type_to(app_label, old_label):
    """Rename the department content type from old_label to app_label. Idempotent: nothing happens
    when the target already exists (run twice, a new database, or both rows present, where the stale
    one is left for `remove_stale_contenttypes`) or when there is nothing to rename."""

    def rename(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        if not ContentType.objects.filter(app_label=app_label, model="department").exists():
            ContentType.objects.filter(app_label=old_label, model="department").update(app_label=app_label)

    return rename


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("clinical", "0006_doctor_department_from_user"),  # the table exists and has its last shape
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Department",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=120, unique=True)),
                        ("description", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "clinical_department",
                        "ordering": ["name"],
                    },
                ),
            ],
            database_operations=[],
        ),
        # Reversible: unapplying renames it back to clinical, where the model then lives again.
        migrations.RunPython(content_type_to("organisation", "clinical"),
                             content_type_to("clinical", "organisation")),
    ]
