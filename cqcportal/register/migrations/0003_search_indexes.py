"""Indexes for the register search: a name or register id typed in any case, found without reading every location.

The search matches ``UPPER(name) LIKE UPPER('%text%')`` (Django's ``icontains``) on locations and providers, and
``UPPER(cqc_id) = UPPER(text)``. Trigram indexes (pg_trgm, a trusted extension a database's owner may create) serve
the first two, an expression index the third. PostgreSQL only: the SQLite demo searches a small register without.
"""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS register_location_name_trgm ON register_location USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS register_provider_name_trgm ON register_provider USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS register_location_cqc_id_upper ON register_location (UPPER(cqc_id::text))",
]
DROP = ["register_location_name_trgm", "register_provider_name_trgm", "register_location_cqc_id_upper"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DROP:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("register", "0002_catalogue")]

    operations = [migrations.RunPython(create, drop)]
