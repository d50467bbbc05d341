# Progress lives in the jobs.Job of each import and export now.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0003_jobs_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='exportjob',
            name='progress',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='progress',
        ),
        migrations.RemoveField(
            model_name='importjob',
            name='progress_label',
        ),
    ]
