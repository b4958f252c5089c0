"""Photos no ticket took are deleted, row and files, `unused_photo_days` after their upload; a ticket's photos and
recent uploads stay."""

import uuid
from datetime import timedelta

from sqlmodel import update

from app.core.config import get_settings
from app.core.types import utcnow
from app.jobs.worker import Worker
from app.photos import service
from app.photos.models import Photo
from app.users.roles import Role
from tests.conftest import login, make_user, report_body, stored_variants, upload_photo


def _age(db, photo_ids: list[str], days: float) -> None:
    db.exec(update(Photo).where(Photo.id.in_([uuid.UUID(p) for p in photo_ids]))
            .values(created_at=utcnow() - timedelta(days=days)))
    db.commit()


def test_old_photos_no_ticket_took_are_deleted_with_their_files(client, db):
    headers = login(client, make_user(db, Role.inspector))
    used, unused, recent = (upload_photo(client, headers) for _ in range(3))
    r = client.post("/api/tickets", headers=headers, json=report_body([used["id"]]))
    assert r.status_code == 201, r.text
    days = get_settings().unused_photo_days
    assert days == 30
    _age(db, [used["id"], unused["id"]], days + 1)
    _age(db, [recent["id"]], days - 1)

    Worker().do_chores()  # as a running worker does, hourly

    db.expire_all()
    assert db.get(Photo, uuid.UUID(unused["id"])) is None
    assert stored_variants(uuid.UUID(unused["id"]), unused["sha256"]) == [False, False, False]
    for kept in (used, recent):
        assert db.get(Photo, uuid.UUID(kept["id"])) is not None
        assert stored_variants(uuid.UUID(kept["id"]), kept["sha256"]) == [True, True, True]
    # The ticket still shows its photo; the deleted one answers 404 to its uploader, like any unknown photo.
    assert client.get(f"/api/photos/{used['id']}/thumb", headers=headers).status_code == 200
    assert client.get(f"/api/photos/{unused['id']}/thumb", headers=headers).status_code == 404
    assert service.drop_unused() == 0


def test_the_sweep_works_in_batches_and_can_be_switched_off(client, db, monkeypatch):
    headers = login(client, make_user(db, Role.inspector))
    photos = [upload_photo(client, headers)["id"] for _ in range(5)]
    _age(db, photos, 365)
    monkeypatch.setattr(get_settings(), "unused_photo_days", 0)
    assert service.drop_unused() == 0
    monkeypatch.setattr(get_settings(), "unused_photo_days", 30)
    monkeypatch.setattr(service, "UNUSED_BATCH", 2)
    assert service.drop_unused() == 5
    db.expire_all()
    assert all(db.get(Photo, uuid.UUID(p)) is None for p in photos)


def test_a_photo_taken_by_a_ticket_after_the_sweep_read_it_is_kept(client, db, monkeypatch):
    """The sweep reads its candidates, then deletes only those still unused: on PostgreSQL a report may take one in
    between (on SQLite the write lock keeps both in one transaction). Here the candidates are read as if before
    that report: the photo it took keeps its row and its files; the one nobody took goes."""
    headers = login(client, make_user(db, Role.inspector))
    taken, left = upload_photo(client, headers), upload_photo(client, headers)
    r = client.post("/api/tickets", headers=headers, json=report_body([taken["id"]]))
    assert r.status_code == 201, r.text
    _age(db, [taken["id"], left["id"]], 31)
    monkeypatch.setattr(service, "_unused_candidates",
                        lambda session, cutoff: [uuid.UUID(taken["id"]), uuid.UUID(left["id"])])
    assert service.drop_unused() == 1
    db.expire_all()
    assert db.get(Photo, uuid.UUID(taken["id"])) is not None
    assert stored_variants(uuid.UUID(taken["id"]), taken["sha256"]) == [True, True, True]
    assert db.get(Photo, uuid.UUID(left["id"])) is None
    assert stored_variants(uuid.UUID(left["id"]), left["sha256"]) == [False, False, False]
