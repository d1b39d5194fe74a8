import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Reading",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bpm", models.PositiveSmallIntegerField()),
                ("recorded_at", models.DateTimeField()),
                ("device", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="readings",
                                             to="devices.device")),
                ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="readings",
                                              to="clinical.patient")),
            ],
            options={
                "ordering": ["-recorded_at", "-id"],
                "indexes": [models.Index(fields=["patient", "recorded_at"], name="reading_patient_time_idx")],
                "constraints": [models.UniqueConstraint(fields=("device", "recorded_at"),
                                                        name="monitoring_reading_device_instant")],
            },
        ),
    ]
