"""The one place where errors become HTTP answers (installed by app/main.py)."""

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DomainError, Overloaded, Unavailable, error_body

logger = logging.getLogger("xuncha")


class ErrorJSONResponse(JSONResponse):
    """An error may quote what the client sent, an unpaired surrogate included (a JSON body can escape one, and a
    dict key or a file's content is not checked by UserText): it goes back as the same \\u escape, never as a
    UnicodeEncodeError (a 500)."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace")


def error_response(exc: DomainError) -> JSONResponse:
    return ErrorJSONResponse(exc.body(), exc.status, headers=exc.headers or None)


def install(app: FastAPI, *, retry_after: float) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError):
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [{"loc": list(e.get("loc", [])), "msg": field_message(e), "type": e.get("type")}
                   for e in exc.errors()]
        return JSONResponse(error_body("validation_error", "请求参数有误 Invalid request", details), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    # Overload is a 503 with Retry-After (the PWA retries it later), never a 500.
    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(_: Request, exc: PoolTimeout):
        return error_response(Overloaded(retry_after))

    @app.exception_handler(OperationalError)
    async def _locked(_: Request, exc: OperationalError):
        # SQLite's busy timeout passed while another writer held the lock: transient, not a bug.
        if "database is locked" in str(exc.orig):
            return error_response(Overloaded(retry_after))
        # The database is away (stopped, unreachable, its file not openable or its disk full): a 503 the phone
        # backs off on and resends later (every write is idempotent), not a bare 500. Logged: IT has to look.
        logger.error("database unavailable: %s", exc.orig, exc_info=exc)
        return error_response(Unavailable("数据库暂不可用，请稍后重试 Database unavailable, try again shortly",
                                          retry_after, code="database_unavailable"))


# pydantic's field messages are English only; the screens show them beside the field, so each common kind gets its
# Chinese first, as every other message of the API has ("中文 English"). {name}s come from the error's context.
_ZH = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字", "finite_number": "应为有限的数字",
    "bool_type": "应为是或否", "bool_parsing": "应为是或否",
    "greater_than": "必须大于 {gt}", "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}", "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "enum": "取值无效，可选 {expected}", "literal_error": "取值无效，可选 {expected}",
    "uuid_type": "应为 UUID", "uuid_parsing": "应为 UUID",
    "date_type": "应为日期", "date_parsing": "日期格式无效", "date_from_datetime_parsing": "日期格式无效",
    "datetime_type": "应为时间", "datetime_parsing": "时间格式无效", "datetime_from_date_parsing": "时间格式无效",
    "timezone_aware": "时间须带时区",
    "list_type": "应为列表", "too_short": "至少 {min_length} 项", "too_long": "最多 {max_length} 项",
    "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "json_invalid": "JSON 格式无效", "json_type": "应为 JSON",
    "url_parsing": "网址格式无效", "url_scheme": "网址协议无效",
}


def field_message(error: dict) -> str:
    """A validation error's message with its Chinese first; a validator's own message (already bilingual) as it is."""
    msg = str(error.get("msg") or "")
    kind = error.get("type")
    if kind == "too_long" and isinstance(error.get("input"), str) and "max_length" in (error.get("ctx") or {}):
        # A length checked after a validator of the text (UserText | None with a max_length) is pydantic's
        # generic "at most N items": it is characters, as for any other text.
        max_length = error["ctx"]["max_length"]
        return f"最多 {max_length} 个字符 String should have at most {max_length} characters"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    zh = _ZH.get(kind)
    if zh is None:
        return msg
    try:
        zh = zh.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        zh = zh.split("{", 1)[0].rstrip("，, ")
    return f"{zh} {msg}"
