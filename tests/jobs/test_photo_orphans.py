"""Files of an upload whose row never committed are removed by a job; files of a stored photo stay."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.core.types import clock_at, utcnow
from app.jobs.models import DONE, Job
from app.jobs.worker import Worker
from app.photos import service
from app.users.roles import Role
from tests.conftest import login, make_user, stored_variants, upload_photo
from tests.fixtures.images import make_jpeg


def test_an_upload_enqueues_a_check_that_keeps_a_stored_photo(client, db):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)
    pid = uuid.UUID(photo["id"])
    [job] = db.exec(select(Job)).all()
    assert job.kind == service.DROP_IF_ORPHANED and job.payload == {"photo_id": str(pid), "sha256": photo["sha256"]}
    assert job.run_after > utcnow() + timedelta(minutes=5)  # long after the request has committed
    assert Worker().run_until_idle() == 0
    with clock_at(utcnow() + service.ORPHAN_GRACE + timedelta(seconds=1)):
        assert Worker().run_until_idle() == 1
    assert stored_variants(pid, photo["sha256"]) == [True, True, True]


def test_files_of_an_upload_whose_row_never_committed_are_removed(client, db, monkeypatch):
    """The request failed after its files were written (a failed commit; in life also a process killed there):
    the job removes the upload's files."""
    headers = login(client, make_user(db, Role.inspector))
    pid = uuid.uuid4()

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the row committed")

    monkeypatch.setattr(service, "_record_committed", killed)
    with pytest.raises(RuntimeError):
        client.post("/api/photos", headers=headers, data={"id": str(pid)},
                    files={"file": ("p.jpg", make_jpeg(640, 480), "image/jpeg")})
    [job] = db.exec(select(Job)).all()
    sha = job.payload["sha256"]
    assert stored_variants(pid, sha) == [True, True, True]
    with clock_at(utcnow() + service.ORPHAN_GRACE + timedelta(seconds=1)):
        assert Worker().run_until_idle() == 1
    assert stored_variants(pid, sha) == [False, False, False]
    db.commit()
    db.expire_all()
    assert db.exec(select(Job)).one().state == DONE


def test_a_refused_upload_leaves_no_job(client, db):
    """Bad bytes are refused before any file is written: nothing to clean up, so no row either (a script
    sending junk used to grow the jobs table by one row a request)."""
    headers = login(client, make_user(db, Role.inspector))
    for _ in range(3):
        r = client.post("/api/photos", headers=headers, data={"id": str(uuid.uuid4())},
                        files={"file": ("p.jpg", b"\xff\xd8\xff not a photo", "image/jpeg")})
        assert 400 <= r.status_code < 500, r.text
    assert db.exec(select(Job)).all() == []


def test_a_resend_in_flight_when_the_first_try_s_check_runs_keeps_its_files(client, db, monkeypatch):
    """A first try wrote the files and died before its row (kill -9, a failed commit); the phone resends the same
    photo (same id, same bytes: the same keys) just as the first try's check comes due. The check runs between
    the resend's files and its row: it must leave them, or the photo the phone was told is stored has none."""
    headers = login(client, make_user(db, Role.inspector))
    pid, data = uuid.uuid4(), make_jpeg(640, 480)
    real_record, real_store = service._record_committed, service.store

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the row committed")

    monkeypatch.setattr(service, "_record_committed", killed)
    with pytest.raises(RuntimeError):
        client.post("/api/photos", headers=headers, data={"id": str(pid)}, files={"file": ("p.jpg", data, "image/jpeg")})
    monkeypatch.setattr(service, "_record_committed", real_record)
    [first_check] = db.exec(select(Job)).all()
    first_check_due = first_check.run_after  # the resend's own check comes due a little later

    def store_then_first_check_runs(*args, **kwargs):
        keys = real_store(*args, **kwargs)
        with clock_at(first_check_due):
            assert Worker().run_until_idle() == 1  # the first try's check; the resend's own is not due
        return keys

    monkeypatch.setattr(service, "store", store_then_first_check_runs)
    r = client.post("/api/photos", headers=headers, data={"id": str(pid)}, files={"file": ("p.jpg", data, "image/jpeg")})
    assert r.status_code == 201, r.text
    assert stored_variants(pid, r.json()["sha256"]) == [True, True, True]
    with clock_at(first_check_due + service.ORPHAN_GRACE):
        assert Worker().run_until_idle() == 1  # the resend's check keeps them: the row is there
    assert stored_variants(pid, r.json()["sha256"]) == [True, True, True]
