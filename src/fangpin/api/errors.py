"""Map domain errors to HTTP answers with Chinese messages."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


def install(api):
    @api.exception_handler(ValidationError)
    def _validation(request, exc):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        detail = "；".join(m for msgs in errors.values() for m in msgs)
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(request, {"detail": str(exc) or "没有权限"}, status=403)

    @api.exception_handler(Http404)
    def _missing(request, exc):
        return api.create_response(request, {"detail": "对象不存在或不在您的管辖范围内"}, status=404)
