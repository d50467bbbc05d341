"""Request parsing for the whole API: NUL characters are dropped from every string.

PostgreSQL text and jsonb columns refuse NUL; no real value contains one. Pages are covered by
Django forms (which refuse NUL) and by ``HouseholdFilters`` for list filters.
"""

from ninja.parser import Parser


def strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


class CleanParser(Parser):
    def parse_body(self, request):
        return strip_nul(super().parse_body(request))

    def parse_querydict(self, data, list_fields, request):
        return strip_nul(super().parse_querydict(data, list_fields, request))
