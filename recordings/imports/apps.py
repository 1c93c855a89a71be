from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "recordings.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.imports.tasks  # noqa: F401
        from console.metrics import register_figures
        from recordings.imports import services
        from recordings.imports.figures import import_figures
        from recordings.lifecycle.watchdog import JobType, register_job

        register_figures("imports", import_figures)
        register_job(
            JobType(
                noun="import",
                stalled=services.import_jobs_stalled,
                restart=services.import_job_restart,
            )
        )
