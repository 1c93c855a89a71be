"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

from console.datadir import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
prepare()
application = get_wsgi_application()
