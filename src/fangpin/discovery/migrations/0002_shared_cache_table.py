"""The table of the shared cache (settings.CACHES without Redis): rate-limit counters of the public
self-declaration page (R-DISC-02) and of the status page, shared by every process.

Created here so that every ``migrate`` (make migrate, deployments, the test databases) has it; the
same as ``manage.py createcachetable`` does, which stays harmless to run. Created whatever the cache
setting is, so that switching from Redis back to the database cache needs no extra step.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "fangpin_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("discovery", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
