from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Console",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "permissions": [
                    ("view_console", "Can see the operations console"),
                    ("run_sweep", "Can run a sweep now"),
                    ("redeliver", "Can redeliver dead deliveries"),
                ],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                (
                    "name",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="name"
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="at")),
                ("host", models.CharField(blank=True, max_length=200, verbose_name="host")),
            ],
            options={
                "verbose_name": "heartbeat",
                "verbose_name_plural": "heartbeats",
            },
        ),
        migrations.CreateModel(
            name="SweepRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sweep", models.CharField(max_length=40, verbose_name="sweep")),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("beat", "beat"),
                            ("command", "sweep command"),
                            ("console", "run now (console)"),
                        ],
                        max_length=16,
                        verbose_name="run by",
                    ),
                ),
                ("started_at", models.DateTimeField(verbose_name="started at")),
                ("finished_at", models.DateTimeField(verbose_name="finished at")),
                ("moved", models.PositiveIntegerField(default=0, verbose_name="rows moved")),
                ("error", models.TextField(blank=True, verbose_name="error")),
            ],
            options={
                "verbose_name": "sweep run",
                "verbose_name_plural": "sweep runs",
                "ordering": ["-finished_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["sweep", "finished_at"], name="sweeprun_sweep_finished_idx"
                    ),
                    models.Index(
                        condition=models.Q(("error", "")),
                        fields=["sweep", "finished_at"],
                        name="sweeprun_success_idx",
                    ),
                ],
            },
        ),
    ]
