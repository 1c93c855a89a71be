"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from console.datadir import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
prepare()
application = get_asgi_application()
