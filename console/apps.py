from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Roomvault console"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from console.datadir import prepare
        from console.sessions import mark_signed_in

        # Every process that sets Django up (gunicorn, a worker, a script calling django.setup(),
        # the tests) has its DATA_DIR folders and, on a single host, its generated key.
        prepare()

        user_logged_in.connect(mark_signed_in, dispatch_uid="console.sessions.mark_signed_in")
