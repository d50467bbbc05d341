import os

from fangpin.manage import configure_allocator

configure_allocator()  # before anything imports polars (see fangpin.manage)

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
application = get_wsgi_application()
