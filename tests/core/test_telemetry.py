"""Request ids, the access log and JSON logs: what the app writes, captured as a log collector would read it."""

import io
import json
import logging
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image

from app.core import logs
from app.core.config import get_settings
from app.photos import service as photos_service
from app.photos.processing import PhotoError, process_photo
from app.photos.storage import LocalPhotoStorage


@pytest.fixture
def json_log():
    """Everything logged while the test runs, as the JSON lines XUNCHA_LOG_FORMAT=json writes."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter("json"))
    handler.addFilter(logs.RequestIdFilter())
    logging.getLogger().addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in out.getvalue().splitlines()]

    yield lines
    logging.getLogger().removeHandler(handler)


def test_a_sane_request_id_from_the_proxy_is_kept_and_answered(client):
    r = client.get("/api/health", headers={"X-Request-ID": "nginx-3f2a9c"})
    assert r.headers["x-request-id"] == "nginx-3f2a9c"


@pytest.mark.parametrize("given", ["x" * 65, "a b", "id\u00e9".encode("utf-8"), "<script>", "a_b", "a.b", ""])
def test_anything_else_is_replaced_by_a_new_id(client, given):
    r = client.get("/api/health", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/api/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_one_access_line_per_request_names_the_route_template_not_the_path(client, json_log):
    ticket = "0192f3a4-0000-7000-8000-000000000001"
    r = client.get(f"/api/tickets/{ticket}", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 401
    access = [line for line in json_log() if line["logger"] == "xuncha.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-1" and line["level"] == "INFO"
    assert line["method"] == "GET" and line["route"] == "/api/tickets/{ticket_id}" and line["status"] == 401
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)
    assert ticket not in json.dumps(line)


def test_refusals_before_routing_are_logged_too(client, json_log):
    r = client.post("/api/tickets", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json",
                                                                               "X-Request-ID": "big-1"})
    assert r.status_code == 413 and r.headers["x-request-id"] == "big-1"
    access = [line for line in json_log() if line["logger"] == "xuncha.access"]
    assert [(a["status"], a["route"], a["request_id"]) for a in access] == [(413, "unmatched", "big-1")]


def test_every_record_logged_while_serving_a_request_carries_its_id(client, json_log, tmp_path, monkeypatch):
    blocker = tmp_path / "media"
    blocker.write_text("a file where the photo directory should be")
    monkeypatch.setattr(photos_service, "get_storage", lambda: LocalPhotoStorage(blocker))
    r = client.get("/api/ready", headers={"X-Request-ID": "ready-7"})
    assert r.status_code == 503
    records = json_log()
    warning = [line for line in records if line["logger"] == "xuncha.ready"]
    assert warning and all(line["request_id"] == "ready-7" and line["level"] == "WARNING" for line in warning)
    assert "storage" in warning[0]["message"]
    assert [line["request_id"] for line in records if line["logger"] == "xuncha.access"] == ["ready-7"]


def test_outside_a_request_the_id_is_a_dash(json_log):
    logging.getLogger("xuncha.test").warning("no request here")
    assert json_log()[-1]["request_id"] == "-"
    assert json_log()[-1]["message"] == "no request here"


def test_the_text_format_shows_the_id_too():
    record = logging.LogRecord("xuncha.access", logging.INFO, __file__, 1, "GET %s", ("/api/health",), None)
    logs.RequestIdFilter().filter(record)
    assert re.fullmatch(r"\S+ \S+ INFO xuncha.access \[-\] GET /api/health", logs.formatter("text").format(record))


def test_http_clients_do_not_log_the_urls_they_call(json_log):
    """A robot webhook's URL carries its key: httpx's INFO line ("HTTP Request: POST <url>") is not written."""
    logging.getLogger("httpx").info("HTTP Request: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret")
    assert not any("secret" in line["message"] for line in json_log())


def test_libvips_chatter_about_resizes_and_broken_uploads_is_not_logged(json_log):
    """A phone photo streams through libvips (INFO lines for each resize) and a cut-off one makes libjpeg warn
    per damaged tile before Pillow refuses it: neither is written; the upload's own answer says what counts."""
    settings = get_settings()
    logs.configure(settings.log_format, "INFO")  # as the app configures it (INFO: the chatter's own level)
    try:
        photo = io.BytesIO()
        Image.effect_noise((2048, 1536), 60).convert("RGB").save(photo, "JPEG", quality=80)
        limits = {"max_bytes": 25 * 1024 * 1024, "max_pixels": 64_000_000, "camera_tz": None}
        assert process_photo(photo.getvalue(), **limits).display
        with pytest.raises(PhotoError):
            process_photo(photo.getvalue()[: len(photo.getvalue()) // 2], **limits)
        assert [line for line in json_log() if line["logger"].startswith("pyvips")] == []
        logging.getLogger("pyvips").error("VIPS: a real failure")
        assert json_log()[-1]["message"] == "VIPS: a real failure"
    finally:
        logs.configure(settings.log_format, settings.log_level)
