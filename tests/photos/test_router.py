"""Uploads over HTTP: every accepted format, the rejected ones, and who may fetch what."""

import io
import os
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.config import get_settings
from app.main import app as fastapi_app
from app.photos.storage import TEMP_DIR
from app.users.roles import Role
from tests.conftest import login, make_user, upload_photo
from tests.fixtures.images import make_heic, make_jpeg, make_other, make_png, make_webp


@pytest.mark.parametrize("make,content_type", [
    (lambda: make_jpeg(1200, 900), "image/jpeg"),
    (lambda: make_png(1200, 900), "image/png"),
    (lambda: make_webp(1200, 900), "image/webp"),
    (lambda: make_heic(640, 480), "image/heic"),
])
def test_accepted_formats_keep_the_original(client, db, make, content_type):
    headers = login(client, make_user(db, Role.inspector))
    data = make()
    # The client's claimed type and name are ignored: the bytes decide.
    photo = upload_photo(client, headers, data)
    assert photo["content_type"] == content_type
    original = client.get(photo["urls"]["original"], headers=headers)
    assert original.content == data and original.headers["content-type"] == content_type
    display = Image.open(io.BytesIO(client.get(photo["urls"]["display"], headers=headers).content))
    assert display.format == "JPEG" and display.size == (photo["width"], photo["height"])


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_refused(client, db, fmt):
    headers = login(client, make_user(db, Role.inspector))
    r = client.post("/api/photos", headers=headers, data={"id": str(uuid.uuid4())},
                    files={"file": ("x.jpg", make_other(fmt), "image/jpeg")})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_type"


def test_unattached_photo_is_private_to_its_uploader(client, db):
    owner = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, owner, make_jpeg(640, 480))
    for role in (Role.inspector, Role.dispatcher, Role.leader):
        other = login(client, make_user(db, role))
        assert client.get(photo["urls"]["thumb"], headers=other).status_code == 404
    assert client.get(photo["urls"]["thumb"]).status_code == 401
    assert client.get(f"/api/photos/{photo['id']}/secret", headers=owner).status_code == 404


@pytest.mark.skipif(get_settings().storage != "local", reason="temp files are the local disk's")
def test_startup_removes_stale_temp_files_but_not_live_ones():
    temp_dir = get_settings().media_dir / TEMP_DIR
    temp_dir.mkdir(parents=True, exist_ok=True)
    stale, live = temp_dir / ".tmp-killed.part", temp_dir / ".tmp-live.part"
    stale.write_bytes(b"half a photo")
    live.write_bytes(b"being written")
    old = time.time() - 600
    os.utime(stale, (old, old))
    with TestClient(fastapi_app):
        assert not stale.exists() and live.exists()


def test_an_implausible_exif_time_uploads_with_the_server_time(client, db):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers, make_jpeg(640, 480, taken_at="9999:12:31 23:59:59", offset="+00:00"))
    assert photo["taken_at"] is None


@pytest.mark.parametrize("captured_at", ["9999-12-31T23:59:59+00:00", "1999-12-31T23:59:59+08:00",
                                         "0001-01-01T00:00:00+14:00", "2099-01-01T00:00:00+08:00"])
def test_an_implausible_captured_at_is_a_422(client, db, captured_at):
    headers = login(client, make_user(db, Role.inspector))
    r = client.post("/api/photos", headers=headers, data={"id": str(uuid.uuid4()), "captured_at": captured_at},
                    files={"file": ("p.jpg", make_jpeg(640, 480), "image/jpeg")})
    # Outside 2000–2100 every client time is refused by its type; inside, the photo's own rule applies.
    assert r.status_code == 422 and r.json()["error"]["code"] in ("validation_error", "invalid_captured_at")


def test_a_plausible_captured_at_is_burned_into_the_watermark(client, db):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers, captured_at="2026-03-01T09:30:00+08:00")
    assert photo["id"]


def test_an_upload_holds_a_database_slot_only_for_its_short_reads_and_writes(client, db):
    """Processing a 12 MP photo takes a second or more; the upload's slot holds (caller look-up, replay
    check, the row) take milliseconds. An upload that held its slot throughout kept the reads of a shift
    start waiting behind the uploads queued for a photo worker."""
    from app.core.db import get_gate

    headers = login(client, make_user(db, Role.inspector))
    data = make_jpeg(4000, 3000, pattern="noise")
    gate = get_gate()
    gate.mean_hold = 0.0
    started = time.perf_counter()
    upload_photo(client, headers, data)
    took = time.perf_counter() - started
    assert took > 0.1, took  # the photo's processing is in there (0.2 s on a quiet machine, 1 s+ on a busy one)
    assert 0 < gate.mean_hold < 0.2 * took, (gate.mean_hold, took)
