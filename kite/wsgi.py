"""The WSGI application gunicorn serves.

gunicorn runs with --preload: its master imports this module, and with it every view and the modules they import
(the URL configuration is otherwise read at the first request), before it forks its workers and opens its socket.
So each worker is ready for its first request, and the workers share the imported code's memory.
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kite.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URL configuration now, not at the first request
