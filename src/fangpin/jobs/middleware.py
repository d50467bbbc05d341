"""Pages answer 503 with a Chinese "try again" when a write waited too long for a batch (an import).

On SQLite one writer holds the whole database while an import applies; a user's write that waits
past the busy timeout fails with "database is locked". On PostgreSQL a write in a county whose
import is applying gives up after ``FANGPIN_COUNTY_LOCK_WAIT_SECONDS`` (``areas.locks.CountyBusy``).
Either way nothing was written, and the user is told to try again instead of seeing the error page.
The API answers the same in JSON (``api.errors``).
"""

from __future__ import annotations

import logging

from django.shortcuts import render

from fangpin.areas.locks import BUSY_MESSAGE, is_busy_error

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def busy_response(request):
    response = render(request, "503.html", {"message": BUSY_MESSAGE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class BusyDatabaseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy_error(exception):
            return None
        log.warning("write refused while a batch holds the database: %s %s (%s)", request.method, request.path, exception)
        return busy_response(request)
