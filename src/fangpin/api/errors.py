"""Map every error to an HTTP answer with a Chinese message (R-SEC-05).

Domain errors carry their own Chinese texts. Errors raised by the framework — a request body that
does not parse, a field of the wrong type, a missing field, no login — are translated here, naming
the field; library text, server paths and tracebacks never reach the client (an unexpected error
is logged for operators and answered with a fixed sentence).
"""

from __future__ import annotations

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from fangpin.areas.locks import BUSY_MESSAGE, is_busy_error

log = logging.getLogger("fangpin.api")

# pydantic error types → Chinese (the rest fall back to a general sentence naming the field).
TYPE_MESSAGES = {
    "missing": "必须填写",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否（true/false）",
    "bool_type": "应为是或否（true/false）",
    "string_type": "应为文字",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "date_parsing": "应为日期（如 2026-05-11）",
    "date_from_datetime_parsing": "应为日期（如 2026-05-11）",
    "date_type": "应为日期（如 2026-05-11）",
    "datetime_parsing": "应为日期时间",
    "datetime_from_date_parsing": "应为日期时间",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "too_long": "项目过多",
    "json_invalid": "不是有效的JSON",
    "value_error": "取值无效",
}
# Where a parameter came from, as ninja names it in ``loc``.
SOURCES = {"body", "query", "path", "form", "file", "header", "cookie", "payload", "params", "data"}


def _field_of(loc) -> str:
    parts = [str(p) for p in loc if str(p) not in SOURCES]
    return ".".join(parts) or "请求"


def schema_errors(errors: list[dict]) -> dict[str, list[str]]:
    """ninja/pydantic error dicts → ``{field: [Chinese message]}``."""
    out: dict[str, list[str]] = {}
    for err in errors:
        field = _field_of(err.get("loc") or ())
        text = TYPE_MESSAGES.get(err.get("type", ""), "取值无效")
        out.setdefault(field, []).append(f"{field}：{text}")
    return out


def install(api):
    @api.exception_handler(ValidationError)
    def _validation(request, exc):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        detail = "；".join(m for msgs in errors.values() for m in msgs)
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(SchemaError)
    def _schema(request, exc):
        errors = schema_errors(exc.errors)
        detail = "请求内容有误：" + "；".join(m for msgs in errors.values() for m in msgs)
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return api.create_response(request, {"detail": "请先登录"}, status=401)

    @api.exception_handler(HttpError)
    def _http(request, exc):
        messages = {400: "请求内容无法解析：应为有效的JSON（UTF-8编码）", 401: "请先登录", 403: "没有权限", 404: "对象不存在或不在您的管辖范围内", 405: "不支持该请求方法",
                    413: "上传内容过大", 429: "请求过于频繁，请稍后再试"}
        text = str(exc.message) if _is_chinese(str(exc.message)) else messages.get(exc.status_code, "请求有误")
        return api.create_response(request, {"detail": text}, status=exc.status_code)

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(request, {"detail": str(exc) or "没有权限"}, status=403)

    @api.exception_handler(Http404)
    def _missing(request, exc):
        return api.create_response(request, {"detail": "对象不存在或不在您的管辖范围内"}, status=404)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return api.create_response(request, {"detail": "上传内容过大"}, status=413)

    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(BadRequest)
    @api.exception_handler(SuspiciousOperation)
    def _bad_request(request, exc):
        return api.create_response(request, {"detail": "请求格式有误：上传文件须使用 multipart/form-data，其他内容须为JSON"},
                                   status=400)

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        if is_busy_error(exc):  # a write waited too long for an import (R-OPS-04): nothing written, try again
            log.warning("API write refused while a batch holds the database: %s %s (%s)", request.method, request.path, exc)
            return api.create_response(request, {"detail": BUSY_MESSAGE}, status=503)
        log.exception("API error on %s %s", request.method, request.path)
        return api.create_response(request, {"detail": "服务器处理出错，已记录，请稍后再试或联系管理员"}, status=500)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
