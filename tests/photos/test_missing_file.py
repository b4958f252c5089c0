"""A photo row whose file is gone (lost disk, bad restore): a clear 404 and a logged error for the photo,
a placeholder in the printouts, never a 500."""

import logging
import re
import uuid

from sqlmodel import select

from app.photos import service as photos_service
from app.photos.models import Photo
from app.photos.service import VARIANTS
from tests.conftest import login
from tests.stats.test_exports import _overdue_ticket_with_photos


def _lose_files(db, photo_id: uuid.UUID) -> None:
    photo = db.get(Photo, photo_id)
    storage = photos_service.get_storage()
    for variant in VARIANTS:
        key = photos_service.storage_key(photo.id, photo.sha256, variant)
        assert storage.get(key)
        storage.delete(key)


def _report_photo(db, ticket) -> uuid.UUID:
    from app.tickets.models import TicketPhoto

    return db.exec(select(TicketPhoto.photo_id).where(TicketPhoto.ticket_id == ticket.id,
                                                      TicketPhoto.stage == "report")).first()


def test_photo_endpoint_answers_404_photo_file_missing(client, db, caplog):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db)
    pid = _report_photo(db, t)
    _lose_files(db, pid)
    h = login(client, dispatcher)
    with caplog.at_level(logging.ERROR):
        for variant in VARIANTS:
            r = client.get(f"/api/photos/{pid}/{variant}", headers=h)
            assert r.status_code == 404, r.text
            assert r.json()["error"]["code"] == "photo_file_missing"
    assert any(rec.levelno == logging.ERROR and str(pid) in rec.getMessage() for rec in caplog.records)


def test_printouts_show_a_placeholder_for_a_missing_photo(client, db, caplog):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db)
    pid = _report_photo(db, t)
    _lose_files(db, pid)
    h = login(client, dispatcher)
    with caplog.at_level(logging.ERROR):
        bulletin = client.get("/api/stats/bulletin.html", headers=h)
        notice = client.get(f"/api/stats/notice/{t.id}.html", headers=h)
        xlsx = client.get("/api/stats/bulletin.xlsx", headers=h)
    assert bulletin.status_code == 200, bulletin.text
    assert "照片缺失" in bulletin.text
    assert len(re.findall(r'src="data:image/jpeg;base64,', bulletin.text)) == 1  # the after photo is still there
    assert notice.status_code == 200, notice.text
    assert "照片缺失" in notice.text and "data:image" not in notice.text
    assert xlsx.status_code == 200
    assert sum(str(pid) in rec.getMessage() for rec in caplog.records if rec.levelno == logging.ERROR) >= 2
