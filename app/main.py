"""The Xuncha application: API under /api, the built PWA at /."""

import functools
import logging
import mimetypes
import os
import stat
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from app import jobs
from app.admin.router import router as admin_router
from app.auth.router import router as auth_router
from app.bulletins.router import router as bulletins_router
from app.categories.router import router as categories_router
from app.config import office
from app.config import service as config_service
from app.config.router import router as config_router
from app.core import health as readiness
from app.core import http_errors, logs, metrics, orphans
from app.core.apidocs import install_docs
from app.core.config import get_settings
from app.core.db import get_gate, new_session
from app.core.errors import error_body
from app.core.headers import SecurityHeadersMiddleware, content_security_policy, parse_sources
from app.core.limits import BodySizeLimit
from app.core.load import LoadShedding, set_worker_threads
from app.core.responses import errors
from app.core.telemetry import RequestTelemetry
from app.evaluation.router import router as evaluation_router
from app.exceptions.router import router as exceptions_router
from app.jobs.worker import EmbeddedWorker
from app.notifications import reminders
from app.notifications.router import router as notifications_router
from app.photos import service as photos_service
from app.photos.processing import find_cjk_font
from app.photos.router import router as photos_router
from app.stats.router import router as stats_router
from app.stats.settings import get_stats_settings
from app.tickets.router import requests_router
from app.tickets.router import router as tickets_router
from app.units.router import router as units_router
from app.users.router import router as users_router

logger = logging.getLogger("xuncha")


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    metrics.register_depth("xuncha_jobs", "Jobs not done (the outbox): queued, running and failed, by kind",
                           ("kind", "state"), _job_depths)
    metrics.register_depth("xuncha_disk_free_bytes", "Free bytes on the disks of this machine that /api/ready "
                           "watches (the SQLite file's, the local photo directory's)", ("disk",), _disk_free)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        orphans.worker_dies_with_supervisor()
        # Fail at start, not at the first upload, when no CJK font can render the watermark, nor at the first
        # ranking when an XUNCHA_STATS_ rule is out of range.
        find_cjk_font(settings.cjk_font_path)
        get_stats_settings()
        photos_service.start()
        # More threads than database slots: every request holding a session finds a thread (app/core/load.py).
        set_worker_threads(settings.worker_threads)
        # The office's settings read once, so the first page's CSP already allows the office's map tiles.
        try:
            office.cache.values()
        except SQLAlchemyError as exc:  # not migrated yet: the settings are read at the first request instead
            logger.warning("office settings not read at start: %s", exc)
        jobs_worker = None
        if settings.jobs_embedded:
            jobs_worker = EmbeddedWorker(poll_seconds=settings.jobs_poll_seconds,
                                         lease_seconds=settings.jobs_lease_seconds)
            jobs_worker.start()
            reminders.start_digest()
        yield
        if jobs_worker is not None:
            jobs_worker.stop()
        photos_service.stop()

    app = FastAPI(title="Xuncha 巡查", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    http_errors.install(app, retry_after=settings.retry_after_seconds)
    # Pure ASGI middleware only (no @app.middleware("http")): those pass every body through an extra task
    # and queue on the event loop. The last added runs first: request id + access log + metrics, body limits,
    # then load shedding.
    app.add_middleware(LoadShedding, max_in_flight=settings.max_in_flight, retry_after=settings.retry_after_seconds,
                       gate=get_gate, max_receiving=settings.max_receiving)
    app.add_middleware(BodySizeLimit, json_max_bytes=settings.json_max_bytes,
                       upload_max_bytes=settings.upload_max_bytes, idle_seconds=settings.body_idle_seconds,
                       min_rate=settings.body_min_bytes_per_second)

    # The tile hosts of the environment's map and of the office's (admin API), as last read by this process.
    extra_img_sources = parse_sources(settings.csp_img_sources)

    @functools.lru_cache(maxsize=4)
    def csp_for(office_hosts: tuple[str, ...]) -> str:
        return content_security_policy(list(dict.fromkeys(settings.map_tile_hosts + list(office_hosts)))
                                       + extra_img_sources)

    app.add_middleware(SecurityHeadersMiddleware, csp=lambda: csp_for(tuple(config_service.office_tile_hosts())))
    app.add_middleware(RequestTelemetry)

    @app.get("/api/health", tags=["health"])
    async def health():
        """Reachability check for the app's outbox (no auth; async: needs no worker thread, never shed)."""
        return {"ok": True}

    @app.get("/api/ready", tags=["health"], response_model=readiness.Ready, responses=errors(503))
    async def ready(request: Request):
        """Readiness: the database answers, the photo store takes writes and the local disks have room (no auth;
        503 names what failed; its figures only to whoever may read /metrics)."""
        current = get_settings()
        checks = {"database": readiness.check_database, "storage": photos_service.storage_ready}
        if (disk := readiness.disk_check(current)) is not None:
            checks["disk"] = disk
        try:
            return readiness.Ready(checks=await readiness.readiness(checks, retry_after=settings.retry_after_seconds))
        except readiness.NotReady as exc:
            if metrics.may_scrape(request.client.host if request.client else None,
                                  request.headers.get("authorization"), current.metrics_token):
                raise
            raise exc.names_only() from None

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request):
        """Prometheus metrics, for this machine or the holder of XUNCHA_METRICS_TOKEN."""
        metrics.check_access(request.client.host if request.client else None,
                             request.headers.get("authorization"), settings.metrics_token)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    # FastAPI (0.165) matches a request against the routes one by one in this order, at ~8 µs a route: the health
    # check defined after the 112 others cost 0.9 ms to find, half its request. So the cheap, frequent checks come
    # first, then the routers by how often a phone calls them (a list page asks for a thumbnail per ticket); the
    # routers' paths are disjoint, so their order changes nothing else (tests/core/test_routes.py).
    for router in (photos_router, tickets_router, auth_router, users_router, config_router, requests_router,
                   categories_router, units_router, stats_router, exceptions_router, bulletins_router,
                   notifications_router, evaluation_router, admin_router):
        app.include_router(router)

    install_docs(app, "/api/docs", settings.map_tile_hosts + extra_img_sources)
    _mount_frontend(app, settings.frontend_dist)
    return app


def _job_depths() -> list[tuple[str, str, int]]:
    with new_session() as session:
        return jobs.depths(session)


def _disk_free() -> list[tuple[str, int]]:
    rows = []
    for name, path in readiness.local_disks(get_settings()).items():
        try:
            rows.append((name, readiness.free_bytes(path)))
        except OSError:  # a disk that cannot be read has no figure; /api/ready names it
            continue
    return rows


def _mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built PWA: real files as they are, any other non-API path as index.html (SPA)."""
    dist = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request):
        if path.startswith("api/") or path == "api":
            return JSONResponse(error_body("not_found", "Not found"), 404)
        index = dist / "index.html"
        if not index.exists():
            return JSONResponse(error_body("frontend_not_built", "前端未构建 Run `make run` to build the app"), 404)
        try:
            target = (dist / path).resolve()
            found = bool(path) and target.is_file() and target.is_relative_to(dist)
        except (ValueError, OSError):  # NUL, or a name longer than the file system allows: no file of the build
            found = False
        accept = request.headers.get("accept-encoding", "")
        if found:
            # The service worker and the HTML must be revalidated; hashed assets can be cached forever.
            immutable = path.startswith("assets/")
            headers = {"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"}
            response = _static(target, headers, accept)
        elif path.startswith("assets/"):
            response = None  # a script or style of another build: index.html in its place would not run either
        else:
            response = _static(index, {"Cache-Control": "no-cache"}, accept)
        return response or JSONResponse(error_body("not_found", "Not found"), 404)


def _accepts(accept_encoding: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q=0 refuses one)."""
    out = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                out.add(name.strip())
        except ValueError:
            continue
    return out


def _static(target: Path, headers: dict[str, str], accept_encoding: str) -> FileResponse | None:
    """A built file, as the precompressed copy the browser accepts (brotli, else gzip) when the build wrote one
    (frontend/vite.config.js): a phone on a slow link downloads a third of the bytes, and nothing is compressed
    per request. None when the file is gone: a new build replaces the old one's files while it is served."""
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    headers = {**headers, "Vary": "Accept-Encoding"}
    accepted = _accepts(accept_encoding)
    for coding, suffix in (("br", ".br"), ("gzip", ".gz")):
        copy = target.with_name(target.name + suffix)
        if coding in accepted and (found := _stat(copy)) is not None:
            return FileResponse(copy, media_type=media_type, headers={**headers, "Content-Encoding": coding},
                                stat_result=found)
    found = _stat(target)
    return FileResponse(target, media_type=media_type, headers=headers, stat_result=found) if found else None


def _stat(path: Path) -> os.stat_result | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found if stat.S_ISREG(found.st_mode) else None


app = create_app()
