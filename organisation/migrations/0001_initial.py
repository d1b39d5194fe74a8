"""Department moves here from clinical, state only: the table `clinical_department` stays where it
is, with its rows (clinical.0007 drops the model from clinical's state). The content type is renamed,
so admin permissions and history on departments carry over."""

from django.db import migrations, models


def content_type_to(app_label, old_label):
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
        migrations.RunPython(content_type_to("organisation", "clinical"),
                             content_type_to("clinical", "organisation")),
    ]
