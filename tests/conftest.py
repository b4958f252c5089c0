"""Test harness: a real, migrated database (SQLite file or PostgreSQL) and the real app over HTTP."""

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.dbutil import fresh_database_url, migrate
from tests.s3server import MotoServer

_MEDIA = Path(tempfile.mkdtemp(prefix="xuncha-media-"))
os.environ["XUNCHA_DATABASE_URL"] = fresh_database_url("xuncha_test")
os.environ["XUNCHA_MEDIA_DIR"] = str(_MEDIA)
# XUNCHA_TEST_STORAGE=s3: the whole run stores photos in a bucket of an S3 server started here (moto).
_S3: MotoServer | None = None
_BUCKET = ""
if os.environ.get("XUNCHA_TEST_STORAGE", "local") == "s3":
    _S3 = MotoServer()
    atexit.register(_S3.stop)
    _BUCKET = _S3.new_bucket()
    os.environ.update(_S3.env(_BUCKET))
elif os.environ.get("XUNCHA_TEST_STORAGE", "local") != "local":
    raise RuntimeError("XUNCHA_TEST_STORAGE: local or s3")
os.environ.setdefault("XUNCHA_LOGIN_MAX_FAILURES", "5")
# The tests' robots, webhooks and SMS gateways listen on 127.0.0.1 (tests/notifications/receiver.py).
os.environ.setdefault("XUNCHA_NOTIFY_PRIVATE_HOSTS", "127.0.0.1")
# Tests run job workers themselves (tests/jobs); the app process starts none of its own.
os.environ.setdefault("XUNCHA_JOBS_EMBEDDED", "0")

from argon2 import PasswordHasher  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import app.models  # noqa: E402,F401
from app.categories import service as categories_service  # noqa: E402
from app.core.db import get_engine, new_session, sessions_bound_to  # noqa: E402
from app.main import app as fastapi_app  # noqa: E402
from app.units.models import Unit  # noqa: E402
from app.users.models import User  # noqa: E402
from app.users.roles import Role  # noqa: E402
from tests.fixtures.images import make_jpeg  # noqa: E402

PASSWORD = "secret-pass-1"
# Argon2id with small cost parameters: verification reads them from the hash, so logins in tests are
# fast while the production code path (argon2-cffi verify) is the real one.
_PW_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
KEEP = {"categories", "alembic_version"}


@pytest.fixture(scope="session", autouse=True)
def database():
    """Migrate once per run; the taxonomy stays, everything else is emptied after each test."""
    migrate(os.environ["XUNCHA_DATABASE_URL"])
    engine = get_engine()
    with Session(engine) as s:
        categories_service.sync_taxonomy(s)
        s.commit()
    yield engine
    engine.dispose()
    shutil.rmtree(_MEDIA, ignore_errors=True)
    if _S3 is not None:
        _S3.stop()


@pytest.fixture(scope="session")
def s3_server():
    """A running S3-compatible server: the run's own one under XUNCHA_TEST_STORAGE=s3, else one started here."""
    if _S3 is not None:
        yield _S3
        return
    server = MotoServer()
    try:
        yield server
    finally:
        server.stop()


# Tests that need real commits: several connections racing (threads), other processes reading what the test
# wrote, or the app served outside the test's thread. They get a fresh-looking database by deletion.
COMMITTING = ("tests/jobs/test_jobs.py", "tests/auth/test_login_limiter.py", "tests/tickets/test_concurrency.py",
              "tests/core/test_database_gate.py", "tests/api/", "tests/load/", "tests/e2e/")


def _commits(request) -> bool:
    path = Path(str(request.node.path)).resolve().relative_to(Path(__file__).resolve().parents[1]).as_posix()
    return request.node.get_closest_marker("commits") is not None or path.startswith(COMMITTING)


@pytest.fixture(autouse=True)
def _clean(request, database):
    """Everything a test writes is undone after it: by rolling back one outer transaction that every session
    of the app and the test joins with SAVEPOINTs (SQLAlchemy's join_transaction_mode="create_savepoint"),
    or, for the tests in COMMITTING, by deleting all rows but the taxonomy."""
    if not _commits(request):
        with database.connect() as conn:
            outer = conn.begin()
            with sessions_bound_to(conn):
                yield
            outer.rollback()
        _clear_media()
        return
    yield
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP]
    with database.begin() as conn:
        conn.execute(text("UPDATE categories SET default_unit_id = NULL"))
        # DELETE, not TRUNCATE … CASCADE: on PostgreSQL that would empty the kept categories too.
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
    _clear_media(other_processes=True)


# Under XUNCHA_TEST_STORAGE=s3 the bucket is emptied only after a test that may have put something in it:
# a listing costs a request to the moto server (~20 ms on the shared box), and most tests store no photo.
_bucket_written = False


def _wrap_s3_put() -> None:
    from app.photos.storage import S3PhotoStorage
    put = S3PhotoStorage.put

    def put_and_mark(self, key: str, data: bytes) -> None:
        global _bucket_written
        _bucket_written = True
        put(self, key, data)

    S3PhotoStorage.put = put_and_mark  # put_all goes through put


if _S3 is not None:
    _wrap_s3_put()


def _clear_media(other_processes: bool = False) -> None:
    """`other_processes`: the test may have run app processes of its own, whose writes this one does not see."""
    global _bucket_written
    for child in _MEDIA.iterdir():
        shutil.rmtree(child, ignore_errors=True)
    if _S3 is not None and (_bucket_written or other_processes):
        _S3.empty(_BUCKET)
        _bucket_written = False


@pytest.fixture
def client():
    with TestClient(fastapi_app) as c:
        yield c


@pytest.fixture
def db(_clean):
    with new_session() as s:
        yield s


# ---- factories: plain functions with keyword overrides ------------------------------------------

def make_unit(db: Session, name: str | None = None, **kw) -> Unit:
    unit = Unit(name=name or f"单位-{uuid.uuid4().hex[:6]}", **kw)
    db.add(unit)
    db.commit()
    return unit


def make_user(db: Session, role: Role, unit: Unit | None = None, username: str | None = None) -> User:
    user = User(username=username or f"{role.value}-{uuid.uuid4().hex[:6]}", display_name=f"测试{role.value}",
                role=role, unit_id=unit.id if unit else None, password_hash=_PW_HASH)
    db.add(user)
    db.commit()
    return user


def login(client: TestClient, user: User) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def upload_photo(client: TestClient, headers: dict, data: bytes | None = None, photo_id: str | None = None,
                 **form) -> dict:
    photo_id = photo_id or str(uuid.uuid4())
    r = client.post("/api/photos", headers=headers, data={"id": photo_id, **form},
                    files={"file": ("p.jpg", data or make_jpeg(800, 600, lat=30.27, lng=120.15), "image/jpeg")})
    assert r.status_code in (200, 201), r.text
    return r.json()


def report_body(photo_ids: list[str], **kw) -> dict:
    body = {"id": str(uuid.uuid4()), "category_code": "06010", "description": "路边暴露垃圾",
            "lat": 30.2741, "lng": 120.1551, "accuracy_m": 8.0, "address": "示例路 1 号", "photo_ids": photo_ids}
    return body | kw


def report(client: TestClient, headers: dict, n_photos: int = 1, **kw) -> dict:
    photos = [upload_photo(client, headers)["id"] for _ in range(n_photos)]
    r = client.post("/api/tickets", headers=headers, json=report_body(photos, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def action(client: TestClient, headers: dict, ticket_id: str, name: str, **body):
    return client.post(f"/api/tickets/{ticket_id}/{name}", headers=headers,
                       json={"action_id": str(uuid.uuid4())} | body)


def return_ticket(client: TestClient, staff: dict, dispatcher: dict, ticket_id: str, reason: str = "非本单位") -> dict:
    """回退 as it is now: the unit asks, the dispatcher approves; the ticket is back to `reported`."""
    r = action(client, staff, ticket_id, "requests", kind="return", reason=reason)
    assert r.status_code == 200, r.text
    request_id = r.json()["requests"][0]["id"]
    r = action(client, dispatcher, ticket_id, f"requests/{request_id}/decision", approve=True)
    assert r.status_code == 200 and r.json()["status"] == "reported", r.text
    return r.json()


def stored_variants(photo_id: uuid.UUID, sha256: str) -> list[bool]:
    """Whether each of a photo's files (thumb, display, original) is in the photo store."""
    from app.photos import service
    from app.photos.storage import PhotoNotFoundError

    storage = service.get_storage()

    def stored(key: str) -> bool:
        try:
            storage.get(key)
        except PhotoNotFoundError:
            return False
        return True

    return [stored(service.storage_key(photo_id, sha256, v)) for v in service.VARIANTS]
