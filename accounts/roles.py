"""Role sets, in one place: the viewsets' `role_rules` and the account rules name them.

Named by who is in them (ADMIN_DOCTOR) or, where a set is one app's, by what it may do
(DEVICE_READERS). Frozen: every module shares the same objects.
"""
from accounts.choices import Role

ADMIN = frozenset({Role.ADMIN})
DOCTOR = frozenset({Role.DOCTOR})
ENGINEER = frozenset({Role.ENGINEER})
ADMIN_DOCTOR = frozenset({Role.ADMIN, Role.DOCTOR})
ADMIN_ENGINEER = frozenset({Role.ADMIN, Role.ENGINEER})
CARE_TEAM = frozenset({Role.ADMIN, Role.DOCTOR, Role.NURSE})
CLINICAL = frozenset({Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.PATIENT})  # everyone but engineers
CONSULTATION_READERS = frozenset({Role.ADMIN, Role.DOCTOR, Role.PATIENT})
DEVICE_READERS = frozenset({Role.ADMIN, Role.ENGINEER, Role.NURSE, Role.DOCTOR})
WORKORDER_READERS = frozenset({Role.ADMIN, Role.ENGINEER, Role.NURSE})
DOCTOR_NURSE = frozenset({Role.DOCTOR, Role.NURSE})
ENGINEER_NURSE = frozenset({Role.ENGINEER, Role.NURSE})
# Who may cancel or move an appointment: its patient, its doctor, an admin (the consultation readers).
APPOINTMENT_PARTIES = CONSULTATION_READERS

# Accounts: who belongs to a department, and which roles may sign themselves up (not admins).
STAFF_ROLES = frozenset({Role.DOCTOR, Role.NURSE, Role.ENGINEER})
SELF_REGISTERABLE_ROLES = frozenset({Role.PATIENT, Role.DOCTOR, Role.NURSE, Role.ENGINEER})
