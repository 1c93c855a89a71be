from django.apps import AppConfig


class CompositionsConfig(AppConfig):
    name = "recordings.compositions"
    label = "compositions"
    verbose_name = "Compositions"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.compositions.tasks  # noqa: F401
        from console.metrics import register_figures
        from recordings.compositions import selectors, services
        from recordings.compositions.api.errors import register_errors
        from recordings.compositions.figures import composition_figures
        from recordings.compositions.kind import COMPOSITION
        from recordings.compositions.models import CompositionSettings
        from recordings.compositions.views.rooms import ROOM_SECTION
        from recordings.lifecycle.kinds import register
        from recordings.lifecycle.watchdog import JobType, register_job
        from recordings.media.signed import register_servable
        from recordings.video.services.settings import credentials_user_register
        from recordings.video.signals import room_ended
        from recordings.video.views.rooms import room_section_register

        # A signed media URL serves its file only while the composition is not deleted.
        register_servable("CJ", lambda sid: selectors.composition_media_servable(sid=sid))
        register(COMPOSITION)
        register_figures("compositions", composition_figures)
        register_job(
            JobType(
                noun="composition",
                stalled=selectors.compositions_stalled,
                restart=services.composition_restart,
            )
        )
        register_errors()
        credentials_user_register(CompositionSettings, "the composition settings")
        room_section_register(ROOM_SECTION)
        # Every enabled hook composes a Group Room when it ends.
        room_ended.connect(services.on_room_ended, dispatch_uid="compositions.hooks")
