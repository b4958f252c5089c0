"""A site evaluated on the phone: all or nothing, idempotent, failures become tickets for triage, scored by hand."""

import uuid

import pytest
from sqlmodel import func, select

from app.evaluation.models import EvalAnswer, EvalChecklistItem, EvalResult
from app.tickets.models import Ticket
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user, upload_photo
from tests.evaluation.conftest import make_site
from tests.evaluation.test_rounds import _create


@pytest.fixture
def r(client, db, seeded):
    unit = make_unit(db, "向阳街道办事处")
    site = make_site(db, unit, "bus_stop", name="人民路公交站", lat=30.2741, lng=120.1551, address="人民路 1 号")
    other_site = make_site(db, unit, "bus_stop", name="解放路公交站")
    insp, other = make_user(db, Role.inspector), make_user(db, Role.inspector)
    office = login(client, make_user(db, Role.dispatcher))
    round_ = _create(client, office, site_ids=[site.id], inspector_ids=[insp.id]).json()
    rid = round_["id"]
    other_round = _create(client, office, site_ids=[other_site.id], inspector_ids=[other.id]).json()
    for to in ("active",):
        assert client.post(f"/api/evaluation/rounds/{rid}/transition", headers=office, json={"to": to}).status_code == 200
    items = db.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == round_["sites"][0]["checklist_id"])
                    .order_by(EvalChecklistItem.position)).all()
    return {"rid": rid, "site": site, "items": items, "office": office, "unit": unit,
            "insp": login(client, insp), "other": login(client, other), "other_round": other_round,
            "staff": login(client, make_user(db, Role.unit_staff, unit))}


def path(r) -> str:
    return f"/api/evaluation/rounds/{r['rid']}/sites/{r['site'].id}/result"


def all_pass(r) -> list[dict]:
    return [{"item_code": i.code, "verdict": "pass"} for i in r["items"]]


def body(r, answers, **kw) -> dict:
    return {"id": str(uuid.uuid4()), "status": "evaluated", "lat": 30.2742, "lng": 120.1551, "accuracy_m": 8,
            "answers": answers} | kw


def test_a_site_with_two_failures_and_a_na_is_scored_and_its_failures_are_tickets(client, db, r):
    items = r["items"]
    per_occ = next(i for i in items if i.rule == "per_occurrence")
    whole = next(i for i in items if i.rule == "all_or_nothing")
    na = next(i for i in items if i.code not in (per_occ.code, whole.code))
    photos = [upload_photo(client, r["insp"])["id"] for _ in range(2)]
    answers = {a["item_code"]: a for a in all_pass(r)}
    answers[per_occ.code] = {"item_code": per_occ.code, "verdict": "fail", "occurrences": 2, "note": "站牌有小广告",
                             "photo_ids": [photos[0]]}
    answers[whole.code] = {"item_code": whole.code, "verdict": "fail", "occurrences": 1, "photo_ids": [photos[1]]}
    answers[na.code] = {"item_code": na.code, "verdict": "na"}
    sent = body(r, list(answers.values()))
    res = client.post(path(r), headers=r["insp"], json=sent)
    assert res.status_code == 201, res.text
    out = res.json()
    # By hand: possible = all points − the 不适用 item; lost = min(points, 2 × deduction) + all of `whole`.
    total = sum(i.points_tenths for i in items)
    possible = total - na.points_tenths
    lost = min(per_occ.points_tenths, 2 * per_occ.deduction_tenths) + whole.points_tenths
    assert (out["possible"], out["earned"]) == (possible / 10, (possible - lost) / 10)
    assert out["rate"] == pytest.approx((possible - lost) / possible)
    assert out["distance_m"] == pytest.approx(11.1, abs=0.2) and out["far_from_site"] is False
    failed = [a for a in out["answers"] if a["verdict"] == "fail"]
    assert {a["item_code"] for a in failed} == {per_occ.code, whole.code}
    assert all(a["case_number"] and a["ticket_status"] == "reported" for a in failed)
    # The findings are reports in the loop, at the site, with the answer's photo, the site's unit suggested.
    t = client.get(f"/api/tickets/{failed[0]['ticket_id']}", headers=r["office"]).json()
    assert t["status"] == "reported" and t["suggested_unit_id"] == r["unit"].id and t["address"] == "人民路 1 号"
    assert (t["lat"], t["lng"]) == (30.2741, 120.1551)
    assert t["description"].startswith("【实地测评】人民路公交站：")
    assert len([p for p in t["photos"] if p["stage"] == "report"]) == 1
    # A resend (the outbox after a lost answer) is the first result; nothing twice.
    again = client.post(path(r), headers=r["insp"], json=sent)
    assert again.status_code == 201 and again.json() == out
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvalResult)).one() == 1
    assert db.exec(select(func.count()).select_from(Ticket)).one() == 2
    assert db.exec(select(func.count()).select_from(EvalAnswer)).one() == len(items)
    # Another submission for the same site, or the same id with other content: 409.
    other = client.post(path(r), headers=r["insp"], json=body(r, all_pass(r)))
    assert (other.status_code, other.json()["error"]["code"]) == (409, "already_submitted")
    changed = client.post(path(r), headers=r["insp"], json=sent | {"accuracy_m": 9})
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "id_reused")


def test_a_resend_that_overtakes_its_first_attempt_still_answers_the_first_result(client, db, r, monkeypatch):
    """A phone left the page while its submission was being served, and the reopened page sent it again: the
    resend's look-up by id ran before the first attempt committed, its look-up of the site after. It is the
    same submission (same id, same content), so it answers the first result, not 409 already_submitted (which
    left the inspector's outbox asking for a person about a site that was in fact submitted)."""
    from app.evaluation import results

    sent = body(r, all_pass(r))
    first = client.post(path(r), headers=r["insp"], json=sent)
    assert first.status_code == 201, first.text
    real, calls = results._replay, []

    def before_the_commit(*args):  # the resend's first look-up by id: the first attempt not committed yet
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(results, "_replay", before_the_commit)
    again = client.post(path(r), headers=r["insp"], json=sent)
    assert len(calls) == 2, "the site's result was looked up by id again"
    assert again.status_code == 201 and again.json() == first.json(), again.text
    other = client.post(path(r), headers=r["insp"], json=body(r, all_pass(r)))  # another submission: still 409
    assert (other.status_code, other.json()["error"]["code"]) == (409, "already_submitted")
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvalResult)).one() == 1


def test_a_resend_that_finds_its_own_photos_taken_still_answers_the_first_result(client, db, r, monkeypatch):
    """The same race one step later: the resend looked the id and the site up before the first attempt
    committed, and the photos after — taken by the first attempt's findings. Not 409 photo_in_use (which left
    the outbox asking a person about a submitted site, and the site open on the phone for a second submission
    the server then refused): the first result."""
    from app.evaluation import results

    photo = upload_photo(client, r["insp"])["id"]
    answers = all_pass(r)
    answers[0] = {"item_code": answers[0]["item_code"], "verdict": "fail", "occurrences": 1, "photo_ids": [photo]}
    sent = body(r, answers)
    first = client.post(path(r), headers=r["insp"], json=sent)
    assert first.status_code == 201, first.text
    real_replay, real_site = results._replay, results._site_has_result
    calls = []

    def before_the_commit(*args):  # the resend's first look-up by id: the first attempt not committed yet
        calls.append(args)
        return None if len(calls) == 1 else real_replay(*args)

    monkeypatch.setattr(results, "_replay", before_the_commit)
    monkeypatch.setattr(results, "_site_has_result", lambda *args: False)  # nor when the site was looked up
    again = client.post(path(r), headers=r["insp"], json=sent)
    assert len(calls) == 2, "the id was looked up again when the photos were found taken"
    assert again.status_code == 201 and again.json() == first.json(), again.text
    monkeypatch.setattr(results, "_site_has_result", real_site)
    photo2 = upload_photo(client, r["insp"])["id"]  # another submission with a photo of its own: still 409
    answers[0]["photo_ids"] = [photo2]
    other = client.post(path(r), headers=r["insp"], json=body(r, answers))
    assert (other.status_code, other.json()["error"]["code"]) == (409, "already_submitted")
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvalResult)).one() == 1


def test_unable_to_evaluate_needs_a_reason_and_no_answers(client, db, r):
    bad = client.post(path(r), headers=r["insp"], json=body(r, [], status="unable"))
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "reason_required")
    bad = client.post(path(r), headers=r["insp"], json=body(r, all_pass(r), status="unable", unable_reason="闭店"))
    assert bad.json()["error"]["code"] == "answers_not_allowed"
    ok = client.post(path(r), headers=r["insp"], json=body(r, [], status="unable", unable_reason="市场装修闭店",
                                                              lat=30.30, lng=120.15))
    assert ok.status_code == 201, ok.text
    out = ok.json()
    assert (out["status"], out["possible"], out["answers"], out["far_from_site"]) == ("unable", None, [], True)


def test_an_item_that_could_not_be_checked_needs_a_reason_takes_no_photos_and_leaves_the_possible_points(
        client, r):
    items = r["items"]
    locked, failed = items[0], next(i for i in items[1:] if i.rule == "per_occurrence")
    photo = upload_photo(client, r["insp"])["id"]
    answers = {a["item_code"]: a for a in all_pass(r)}
    answers[failed.code] = {"item_code": failed.code, "verdict": "fail", "occurrences": 1,
                            "photo_ids": [photo] * max(1, failed.photos_required)}
    if failed.photos_required <= 1:
        answers[failed.code]["photo_ids"] = [photo] if failed.photos_required else []
    # No reason (missing or blank), or a photo on it: 422, nothing written.
    for bad in ({"item_code": locked.code, "verdict": "unable"},
                {"item_code": locked.code, "verdict": "unable", "note": "  "},
                {"item_code": locked.code, "verdict": "unable", "note": "锁门", "photo_ids": [photo]},
                {"item_code": locked.code, "verdict": "unable", "note": "锁门", "occurrences": 1}):
        res = client.post(path(r), headers=r["insp"], json=body(r, list((answers | {locked.code: bad}).values())))
        assert res.status_code == 422, (bad, res.text)
        assert res.json()["error"]["code"] in ("invalid_answers", "validation_error"), res.text
        # Read through the API: this test's `db` session keeps a stale SQLite snapshot once it has read.
        assert client.get(path(r), headers=r["office"]).status_code == 404
        assert client.get("/api/tickets", headers=r["office"]).json()["items"] == []
    missing = client.post(path(r), headers=r["insp"], json=body(r, list(
        (answers | {locked.code: {"item_code": locked.code, "verdict": "unable"}}).values())))
    assert [p.get("code") for p in missing.json()["error"]["details"]["problems"]] == ["reason_required"]
    answers[locked.code] = {"item_code": locked.code, "verdict": "unable", "note": "配电房上锁，无法进入"}
    res = client.post(path(r), headers=r["insp"], json=body(r, list(answers.values())))
    assert res.status_code == 201, res.text
    out = res.json()
    # By hand: possible = all points − the 无法调查 item's; lost = min(points, 1 × deduction) of the failed one.
    possible = sum(i.points_tenths for i in items) - locked.points_tenths
    lost = min(failed.points_tenths, failed.deduction_tenths)
    assert (out["possible"], out["earned"]) == (possible / 10, (possible - lost) / 10)
    row = next(a for a in out["answers"] if a["item_code"] == locked.code)
    assert (row["verdict"], row["note"], row["loss"], row["ticket_id"]) == ("unable", "配电房上锁，无法进入", 0, None)
    tickets = [a["ticket_id"] for a in out["answers"] if a["ticket_id"]]
    assert len(tickets) == 1  # the failure only
    assert client.get(f"/api/tickets/{tickets[0]}", headers=r["office"]).json()["status"] == "reported"
    read = client.get(path(r), headers=r["office"]).json()  # as stored
    assert next(a for a in read["answers"] if a["item_code"] == locked.code)["verdict"] == "unable"
    assert read["possible"] == possible / 10


def test_bad_submissions_are_refused_whole_and_nothing_is_written(client, db, r):
    items = r["items"]
    photo = upload_photo(client, r["insp"])["id"]
    stranger_photo = upload_photo(client, r["other"])["id"]
    first = items[0].code

    def fail(**kw):
        return [{"item_code": first, "verdict": "fail", "occurrences": 1, "photo_ids": [photo]} | kw] + all_pass(r)[1:]

    cases = [
        (all_pass(r)[1:], 422, "invalid_answers"),                                      # an item unanswered
        (all_pass(r) + [{"item_code": "ZZ-99", "verdict": "pass"}], 422, "invalid_answers"),  # not in the version
        (all_pass(r) + [all_pass(r)[0]], 422, "duplicate_answer"),
        (fail(photo_ids=[]), 422, "invalid_answers"),                                    # its photo is required
        (fail(occurrences=None), 422, "invalid_answers"),                                # a fail needs occurrences
        ([{"item_code": first, "verdict": "pass", "occurrences": 2}] + all_pass(r)[1:], 422, "invalid_answers"),
        (fail(photo_ids=[stranger_photo]), 422, "unknown_photo"),                        # someone else's photo
    ]
    for answers, status, code in cases:
        res = client.post(path(r), headers=r["insp"], json=body(r, answers))
        assert (res.status_code, res.json()["error"]["code"]) == (status, code), (answers[:1], res.text)
    # Not assigned here (another inspector; a site of another round): 404, as if it did not exist.
    assert client.post(path(r), headers=r["other"], json=body(r, all_pass(r))).status_code == 404
    other_site = r["other_round"]["sites"][0]["site"]["id"]
    assert client.post(f"/api/evaluation/rounds/{r['rid']}/sites/{other_site}/result", headers=r["insp"],
                       json=body(r, all_pass(r))).status_code == 404
    # Only inspectors submit; a unit does not even learn the round exists.
    assert client.post(path(r), headers=r["office"], json=body(r, all_pass(r))).status_code == 403
    assert client.get(path(r), headers=r["staff"]).status_code == 404
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvalResult)).one() == 0
    assert db.exec(select(func.count()).select_from(Ticket)).one() == 0


def test_only_an_active_round_takes_submissions_and_a_unit_reads_its_result_once_published(client, db, r):
    office = r["office"]
    photo = upload_photo(client, r["insp"])["id"]
    answers = all_pass(r)
    answers[0] = {"item_code": answers[0]["item_code"], "verdict": "fail", "occurrences": 1, "photo_ids": [photo]}
    assert client.post(path(r), headers=r["insp"], json=body(r, answers)).status_code == 201
    client.post(f"/api/evaluation/rounds/{r['rid']}/transition", headers=office, json={"to": "closed"})
    late = client.post(path(r), headers=r["insp"], json=body(r, all_pass(r)))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "round_not_active")
    assert client.get(path(r), headers=r["staff"]).status_code == 404  # closed, not published
    client.post(f"/api/evaluation/rounds/{r['rid']}/transition", headers=office, json={"to": "published"})
    seen = client.get(path(r), headers=r["staff"])
    assert seen.status_code == 200 and seen.json()["inspector_name"] is None  # 四不两直: never who inspected
    assert client.get(path(r), headers=office).json()["inspector_name"]
    # The unit reads its round's sites with the site type's name (it may not read the site types list).
    round_ = client.get(f"/api/evaluation/rounds/{r['rid']}", headers=r["staff"]).json()
    assert [(s["site"]["site_type"], s["site"]["site_type_name"]) for s in round_["sites"]] == \
        [("bus_stop", "公交站台（站点）")]
    assert client.get("/api/evaluation/site-types", headers=r["staff"]).status_code == 403


def test_my_sites_tells_the_phone_which_sites_are_submitted(client, db, r):
    mine = client.get("/api/evaluation/my-sites", headers=r["insp"]).json()
    assert [(m["site"]["id"], m["result_id"], m["submitted_at"]) for m in mine] == [(r["site"].id, None, None)]
    sent = body(r, all_pass(r))
    assert client.post(path(r), headers=r["insp"], json=sent).status_code == 201
    mine = client.get("/api/evaluation/my-sites", headers=r["insp"]).json()
    assert mine[0]["result_id"] == sent["id"] and mine[0]["submitted_at"]
    # The other inspector's site in the other round stays unsubmitted for them.
    theirs = client.get("/api/evaluation/my-sites", headers=r["other"]).json()
    assert [m["result_id"] for m in theirs] == []  # their round is still a draft: not listed
