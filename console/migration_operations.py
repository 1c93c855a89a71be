"""Migration operations for tables that may be large and busy in production.

Upgrades run migrations while the previous release still serves (docs/deploy.md): an index built
the ordinary way blocks every write to its table for as long as the build takes, minutes at ten
million rows. PostgreSQL can build it CONCURRENTLY instead; SQLite (development, tests) cannot,
and needs no such care.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexWithoutLocking(AddIndexConcurrently):
    """Add an index CONCURRENTLY on PostgreSQL and the ordinary way elsewhere. A migration using
    it must say ``atomic = False``, as for AddIndexConcurrently."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
