# The background work of imports and exports moves onto jobs.Job (R-OPS-03). Three steps, each its own
# transaction (PostgreSQL refuses to alter a table with deferred foreign-key checks pending): add the
# link, give every existing import and export its job (0003), drop the progress columns (0004).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0001_initial'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='exportjob',
            name='job',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='export_job', to='jobs.job', verbose_name='后台任务'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='job',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='import_job', to='jobs.job', verbose_name='后台任务'),
        ),
        migrations.AlterField(
            model_name='exportjob',
            name='status',
            field=models.CharField(choices=[('queued', '排队中'), ('running', '生成中'), ('done', '已完成'), ('failed', '失败'), ('interrupted', '已中断')], default='queued', max_length=12, verbose_name='状态'),
        ),
    ]
