from django.db import migrations


def seed(apps, schema_editor):
    from fangpin.registry.vocab import TAGS, seed_terms

    Term = apps.get_model("registry", "Term")
    Tag = apps.get_model("registry", "Tag")
    seed_terms(Term)
    Tag.objects.bulk_create([Tag(code=c, name=n, position=i) for i, (c, n) in enumerate(TAGS)], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
