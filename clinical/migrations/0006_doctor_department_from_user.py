"""One source of truth for a doctor's department: `User.department`. The profile's own column goes,
after its value is copied into the user wherever the user has none (where both are set and differ,
the user's, which the API's user routes and the nurse scoping already used, wins)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy_profile_department_to_user(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    DoctorProfile = apps.get_model("clinical", "DoctorProfile")
    profile_department = DoctorProfile.objects.filter(user=OuterRef("pk")).values("department_id")[:1]
    User.objects.filter(department__isnull=True, doctor_profile__department__isnull=False).update(
        department=Subquery(profile_department))


def copy_user_department_to_profile(apps, schema_editor):
    DoctorProfile = apps.get_model("clinical", "DoctorProfile")
    for profile in DoctorProfile.objects.select_related("user").filter(user__department__isnull=False):
        profile.department_id = profile.user.department_id
        profile.save(update_fields=["department"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
        ("clinical", "0005_bounded_thresholds_and_quantity"),
    ]

    operations = [
        migrations.RunPython(copy_profile_department_to_user, copy_user_department_to_profile),
        migrations.RemoveField(model_name="doctorprofile", name="department"),
    ]
