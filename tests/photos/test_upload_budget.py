"""The daily upload budget: one account cannot fill the photo disk; past it, 429 with Retry-After, nothing stored."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.core.config import get_settings
from app.core.types import utcnow
from app.jobs.models import Job
from app.photos import service
from app.photos.models import Photo
from app.users.roles import Role
from tests.conftest import login, make_user, upload_photo
from tests.fixtures.images import make_jpeg


@pytest.fixture
def setting(monkeypatch):
    """setting(name, n): an XUNCHA_ setting for this test (undone after it)."""
    def set_(name: str, n: int) -> None:
        monkeypatch.setenv(name, str(n))
        get_settings.cache_clear()
    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def budget(setting):
    return lambda n: setting("XUNCHA_UPLOAD_BUDGET_BYTES_PER_DAY", n)


def _post(client, headers, data, photo_id=None):
    return client.post("/api/photos", headers=headers, data={"id": photo_id or str(uuid.uuid4())},
                       files={"file": ("p.jpg", data, "image/jpeg")})


def test_an_account_past_its_budget_gets_429_and_nothing_is_stored(client, db, budget):
    photos = [make_jpeg(640, 480, lat=30.27, lng=120.15 + i / 1000) for i in range(3)]
    budget(len(photos[0]) + len(photos[1]) + 10)
    inspector, other = make_user(db, Role.inspector), make_user(db, Role.inspector)
    h, h_other = login(client, inspector), login(client, other)
    first = upload_photo(client, h, photos[0])
    upload_photo(client, h, photos[1])
    jobs_before = db.exec(select(func.count()).select_from(Job)).one()
    refused_id = str(uuid.uuid4())
    r = _post(client, h, photos[2], refused_id)
    assert r.status_code == 429, r.text
    body = r.json()["error"]
    assert body["code"] == "upload_budget_exhausted" and "MB" in body["message"]
    # The oldest upload of the window leaves it in ~24 h: that is when to come back (the PWA's outbox waits).
    assert 23 * 3600 < int(r.headers["Retry-After"]) <= 24 * 3600
    assert body["details"]["retry_after"] == int(r.headers["Retry-After"])
    assert db.get(Photo, uuid.UUID(refused_id)) is None
    assert db.exec(select(func.count()).select_from(Job)).one() == jobs_before  # not even an orphan check
    # A resend of a stored photo is still answered (a replay stores nothing), and other accounts go on.
    assert _post(client, h, photos[0], first["id"]).status_code == 200
    assert _post(client, h_other, photos[2]).status_code == 201
    # Once the first upload is older than 24 hours, its bytes count no more.
    db.get(Photo, uuid.UUID(first["id"])).created_at = utcnow() - timedelta(hours=25)
    db.commit()
    assert _post(client, h, photos[2], refused_id).status_code == 201


def test_no_budget_when_it_is_zero(client, db, budget):
    budget(0)
    h = login(client, make_user(db, Role.inspector))
    for i in range(3):
        assert _post(client, h, make_jpeg(320, 240, lat=30.27, lng=120.15 + i / 1000)).status_code == 201



@pytest.mark.commits  # uploads at once, each on a connection of its own (not the test's one shared connection)
def test_one_account_cannot_take_every_photo_worker(client, db, setting):
    """Uploads sent at once from one account past its cap get 429 with Retry-After; another account's go on."""
    setting("XUNCHA_UPLOAD_ACCOUNT_CONCURRENCY", 1)
    scripted, other = make_user(db, Role.inspector), make_user(db, Role.inspector)
    h, h_other = login(client, scripted), login(client, other)
    photo = make_jpeg(3000, 2000, lat=30.27, lng=120.15)  # ~0.1 s or more in a worker: the uploads overlap
    start = threading.Barrier(5)

    def send(headers):
        start.wait()
        return _post(client, headers, photo)  # the TestClient's one event loop serves the threads at once

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(send, [h] * 4 + [h_other]))
    mine = [r.status_code for r in answers[:4]]
    assert answers[4].status_code == 201, answers[4].text
    assert 201 in mine and 429 in mine and set(mine) <= {201, 429}, mine
    refused = next(r for r in answers[:4] if r.status_code == 429)
    assert refused.json()["error"]["code"] == "too_many_uploads"
    assert refused.headers["Retry-After"] == str(service.BUSY_ACCOUNT_RETRY_S)
    stored = db.exec(select(func.count()).select_from(Photo).where(Photo.uploader_id == scripted.id)).one()
    assert stored == mine.count(201)
    # Every turn is handed back, also by uploads that failed: the account uploads again at once.
    assert _post(client, h, b"not a photo").status_code == 415
    assert not service._in_flight
    assert _post(client, h, photo).status_code == 201
