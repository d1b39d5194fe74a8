"""The record a role has beside its account (a doctor's profile, a patient's record).

Accounts only knows that a role may have one; the app that owns the record registers how to
build it (clinical, in its AppConfig.ready()). Accounts imports no domain app, so the domains may
depend on accounts and never the other way round.
"""

_builders = {}


def register_profile_builder(role, build):
    """`build(user, profile)` makes the role's record for a new account; `profile` holds the
    sign-up's role fields (validated by the serializer). It runs inside the account's transaction,
    so a failure leaves neither the account nor the record."""
    _builders[role] = build


def profile_create(user, profile):
    build = _builders.get(user.role)
    if build is not None:
        build(user, profile)
