"""The reliability report's query (validated like a body: a 400 names the parameter) and its shape."""

import datetime

from django.utils.translation import gettext as _
from rest_framework import serializers

from devices.models import Hospital

MAX_YEARS = 3
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(9998, 12, 31)  # `to` + 1 day must still be a date
FORMATS = ["json", "csv"]


def years_later(day, years):
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class ReliabilityQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword: the date fields are declared under their query names below.
    hospital = serializers.PrimaryKeyRelatedField(queryset=Hospital.objects.all(), required=False,
                                                  help_text="Only this hospital's devices.")
    model = serializers.CharField(required=False, max_length=120, help_text="Only devices of this model (exact).")
    format = serializers.ChoiceField(choices=FORMATS, required=False, help_text="`csv` for a CSV download.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(help_text="First day (the hospital's local date), inclusive.")
        fields["to"] = serializers.DateField(help_text="Last day, inclusive.")
        return fields

    def validate(self, attrs):
        for name in ("from", "to"):
            if not EARLIEST <= attrs[name] <= LATEST:
                raise serializers.ValidationError(
                    {name: [_("Use a date from %(first)s to %(last)s.") % {
                        "first": f"{EARLIEST:%Y-%m-%d}", "last": f"{LATEST:%Y-%m-%d}"}]})
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": [_("`to` must be on or after `from`.")]})
        if attrs["to"] >= years_later(attrs["from"], MAX_YEARS):
            raise serializers.ValidationError(
                {"to": [_("The range may cover at most %(years)s years: `to` must be before %(limit)s.") % {
                    "years": MAX_YEARS, "limit": f"{years_later(attrs['from'], MAX_YEARS):%Y-%m-%d}"}]})
        return attrs


def _figures():
    return {
        "observed_hours": serializers.FloatField(
            help_text="Hours of the range the device existed (from its creation), up to now."),
        "downtime_hours": serializers.FloatField(help_text="Hours of downtime periods inside the observed hours."),
        "operating_hours": serializers.FloatField(help_text="observed_hours - downtime_hours."),
        "uptime_percent": serializers.FloatField(allow_null=True,
                                                 help_text="operating / observed x 100 (null when nothing observed)."),
        "failures": serializers.IntegerField(help_text="Corrective work orders reported in the range."),
        "mtbf_hours": serializers.FloatField(allow_null=True,
                                             help_text="operating_hours / failures (null without failures)."),
        "repairs": serializers.IntegerField(help_text="Closed corrective work orders whose repair overlaps the range."),
        "repair_hours": serializers.FloatField(help_text="Their report-to-completion hours, clipped to the range."),
        "mttr_hours": serializers.FloatField(allow_null=True,
                                             help_text="repair_hours / repairs (null without repairs)."),
    }


class DeviceReliabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    asset_number = serializers.CharField()
    name = serializers.CharField()
    model = serializers.CharField()
    hospital = serializers.IntegerField()
    hospital_name = serializers.CharField()

    def get_fields(self):
        return {**super().get_fields(), **_figures()}


class ModelReliabilitySerializer(serializers.Serializer):
    model = serializers.CharField()
    devices = serializers.IntegerField()

    def get_fields(self):
        return {**super().get_fields(), **_figures()}


class HospitalReliabilitySerializer(serializers.Serializer):
    hospital = serializers.IntegerField()
    hospital_name = serializers.CharField()
    devices = serializers.IntegerField()

    def get_fields(self):
        return {**super().get_fields(), **_figures()}


class ReliabilityReportSerializer(serializers.Serializer):
    """Documents the answer (the view answers the selector's rows as they are)."""

    time_zone = serializers.CharField(help_text="The zone the dates are read in (TIME_ZONE).")
    hours_in_range = serializers.FloatField(help_text="Hours from `from` 00:00 to the day after `to` 00:00.")
    devices = DeviceReliabilitySerializer(many=True)
    models = ModelReliabilitySerializer(many=True)
    hospitals = HospitalReliabilitySerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields = {"from": serializers.DateField(), "to": serializers.DateField(), **fields}
        return fields

