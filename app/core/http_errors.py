"""The one place where errors become HTTP answers (installed by app/main.py)."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DomainError, Overloaded, error_body


def error_response(exc: DomainError) -> JSONResponse:
    return JSONResponse(exc.body(), exc.status, headers=exc.headers or None)


def install(app: FastAPI, *, retry_after: float) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError):
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
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
        raise exc
