"""Migration operations for what only PostgreSQL has (trigram indexes, database settings).

The embedded default (`make run` without DATABASE_URL) is SQLite, so a PostgreSQL-only statement in a
migration runs only there; on SQLite the operation does nothing and the migration still applies.
"""
from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only (forwards and backwards)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
