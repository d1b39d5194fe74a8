from rest_framework import serializers


class ActivitySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["work_order", "spare_part_request"])
    event = serializers.ChoiceField(choices=["created", "updated"])
    at = serializers.DateTimeField()
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    device = serializers.IntegerField()
    device_name = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    role = serializers.CharField()
    counts = serializers.DictField(help_text="Counts for the caller's role; see docs/equipment.md for the keys.")
    recent_activity = ActivitySerializer(many=True)
