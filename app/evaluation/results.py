"""A site evaluated on the phone: the inspector's answers, item by item, submitted once through the outbox.

A submission is all or nothing: every item of the round site's checklist version answered (or the whole
site 无法调查 with a reason), failures with their occurrences and at least the item's required photos, the
photos the inspector's own and unused. Each 不达标 becomes a ticket in the normal loop (reported, for triage;
the site's unit suggested) holding the answer's photos. Its id is the phone's UUID: the same submission
again answers the first result; another one for the same site is 409 already_submitted.
"""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.db import commit_writes
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.types import utcnow
from app.evaluation import access, defaults, scoring
from app.evaluation.models import EvalAnswer, EvalChecklistItem, EvalResult, EvalRound, EvalRoundSite, EvalSite
from app.evaluation.schemas import AnswerOut, ResultIn, ResultOut, RoundState
from app.photos.models import Photo
from app.tickets import access as ticket_access
from app.tickets import actions as ticket_actions
from app.tickets.duplicates import distance_m
from app.tickets.models import Ticket
from app.users.models import User
from app.users.roles import Role


def _round_site(session: Session, user: User, round_id: int, site_id: int
                ) -> tuple[EvalRoundSite, EvalRound, EvalSite]:
    row = session.exec(
        select(EvalRoundSite, EvalRound, EvalSite).join(EvalRound, EvalRound.id == EvalRoundSite.round_id)
        .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
        .where(EvalRoundSite.round_id == round_id, EvalRoundSite.site_id == site_id, access.round_site_clause(user))
    ).first()
    if row is None:
        raise NotFound("测评点位不存在 Site not found in this round")
    return row


def _items(session: Session, checklist_id: int) -> list[EvalChecklistItem]:
    return list(session.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == checklist_id)
                             .order_by(EvalChecklistItem.position)).all())


def _scoring_items(items: list[EvalChecklistItem]) -> list[scoring.Item]:
    return [scoring.Item(code=i.code, dimension=i.dimension, points_tenths=i.points_tenths, rule=scoring.Rule(i.rule),
                         deduction_tenths=i.deduction_tenths, category_code=i.category_code) for i in items]


def submit(session: Session, user: User, round_id: int, site_id: int, body: ResultIn) -> ResultOut:
    if user.role != Role.inspector:
        raise Forbidden("只有督查员提交测评 Only inspectors submit evaluations")
    digest = ticket_actions.request_hash(body, round_id=round_id, site_id=site_id)
    if (replayed := _replay(session, user, body.id, digest)) is not None:
        return replayed
    round_site, round_, site = _round_site(session, user, round_id, site_id)  # 404 unless assigned to me
    if round_.state != RoundState.active.value:
        raise Conflict("测评任务未在进行中 The round is not active", code="round_not_active")
    if _site_has_result(session, round_site.id):
        # This very submission may have committed since the look-up above: a phone's resend while its first
        # attempt was still being served (the page left mid-request). It answers as the first one did.
        if (replayed := _replay(session, user, body.id, digest)) is not None:
            return replayed
        raise Conflict("该点位已提交测评 This site was already submitted", code="already_submitted")
    items = _items(session, round_site.checklist_id)
    try:
        photos = _check(session, user, body, items)
    except Conflict:
        # photo_in_use: by this very submission's findings, if it committed after the site was looked up.
        if (replayed := _replay(session, user, body.id, digest)) is not None:
            return replayed
        raise

    now = utcnow()
    distance = (distance_m(body.lat, body.lng, site.lat, site.lng)
                if body.lat is not None and body.lng is not None else None)
    by_code = {i.code: i for i in items}
    try:
        with session.begin_nested():
            result = EvalResult(id=body.id, round_site_id=round_site.id, inspector_id=user.id, status=body.status,
                                unable_reason=body.unable_reason if body.status == "unable" else None,
                                lat=body.lat, lng=body.lng, accuracy_m=body.accuracy_m,
                                distance_m=round(distance, 1) if distance is not None else None,
                                request_hash=digest, submitted_at=now)
            session.add(result)
            session.flush()
            for a in body.answers if body.status == "evaluated" else []:
                item = by_code[a.item_code]
                ticket_id = None
                if a.verdict == "fail":
                    text = f"【实地测评】{site.name}：{item.text_zh}"
                    if a.note:
                        text += f"（{a.note}）"
                    ticket = ticket_actions.record_finding(
                        session, user, ticket_id=uuid.uuid5(body.id, item.code), category_code=item.category_code,
                        description=text[:2000], address=site.address or None, lat=site.lat, lng=site.lng,
                        photos=[photos[p] for p in a.photo_ids], suggested_unit_id=site.unit_id, digest=digest,
                        now=now)
                    ticket_id = ticket.id
                session.add(EvalAnswer(result_id=result.id, item_id=item.id, verdict=a.verdict,
                                       occurrences=a.occurrences, note=a.note, ticket_id=ticket_id))
            session.flush()
    except IntegrityError:
        # The same submission sent twice at once (PostgreSQL): the other one committed first.
        if (replayed := _replay(session, user, body.id, digest)) is not None:
            return replayed
        raise Conflict("该点位已提交测评 This site was already submitted", code="already_submitted") from None
    commit_writes(session)
    return out(session, user, result)


def _site_has_result(session: Session, round_site_id: int) -> bool:
    return session.exec(select(EvalResult.id).where(EvalResult.round_site_id == round_site_id)).first() is not None


def _replay(session: Session, user: User, result_id: uuid.UUID, digest: str) -> ResultOut | None:
    existing = session.get(EvalResult, result_id)
    if existing is None:
        return None
    if existing.request_hash != digest or existing.inspector_id != user.id:
        raise Conflict("该提交编号已用于其他内容 This id was used for another submission", code="id_reused")
    return out(session, user, existing)


def _check(session: Session, user: User, body: ResultIn, items: list[EvalChecklistItem]) -> dict[uuid.UUID, Photo]:
    """Everything wrong with the submission at once (422), before anything is written; the photos it uses."""
    if body.status == "unable":
        if not body.unable_reason:
            raise Invalid("无法调查须说明原因 无法调查 needs a reason", code="reason_required")
        if body.answers:
            raise Invalid("无法调查的点位不填写各项 A site recorded 无法调查 has no answers",
                          code="answers_not_allowed")
        return {}
    codes = [a.item_code for a in body.answers]
    if len(set(codes)) != len(codes):
        raise Invalid("同一项目重复作答 An item is answered twice", code="duplicate_answer")
    problems: list[dict[str, Any]] = []
    required = {i.code: i.photos_required for i in items}
    for a in body.answers:
        if a.verdict != "fail" and a.photo_ids:
            problems.append({"item_code": a.item_code, "message": "只有不达标项附照片 Photos belong to failed items"})
        if a.verdict == "unable" and not (a.note or "").strip():
            problems.append({"item_code": a.item_code, "code": "reason_required",
                             "message": "无法调查的项须说明原因 An item that could not be checked needs a reason "
                                        "(note)"})
        if a.verdict == "fail" and a.item_code in required and len(a.photo_ids) < required[a.item_code]:
            problems.append({"item_code": a.item_code, "code": "photos_required",
                             "message": f"不达标项需 {required[a.item_code]} 张照片 needs "
                                        f"{required[a.item_code]} photo(s)"})
    if problems:
        raise Invalid("测评照片或原因不符合要求 Photos or reasons do not match the answers", code="invalid_answers",
                      details={"problems": problems})
    # Unknown items, missing answers, occurrences on a pass (scoring's own rules, all reported at once).
    scoring.score_site(_scoring_items(items), {a.item_code: scoring.answer(a.verdict, a.occurrences)
                                               for a in body.answers})
    ids = [p for a in body.answers for p in a.photo_ids]
    return {p.id: p for p in ticket_actions.claimable_photos(session, user, ids)} if ids else {}


def read(session: Session, user: User, round_id: int, site_id: int) -> ResultOut:
    """The submitted result of a round's site, as this user may see it (404 before there is one)."""
    round_site, _, _ = _round_site(session, user, round_id, site_id)
    result = session.exec(select(EvalResult).where(EvalResult.round_site_id == round_site.id)).first()
    if result is None:
        raise NotFound("该点位尚未提交测评 Not evaluated yet")
    return out(session, user, result)


def out(session: Session, user: User, result: EvalResult) -> ResultOut:
    round_site = session.get(EvalRoundSite, result.round_site_id)
    site = session.get(EvalSite, round_site.site_id)
    items = _items(session, round_site.checklist_id)
    answers = {a.item_id: a for a in session.exec(select(EvalAnswer).where(EvalAnswer.result_id == result.id)).all()}
    ticket_ids = [a.ticket_id for a in answers.values() if a.ticket_id]
    # A finding's ticket only as the ticket rule allows: a unit learns its number once it is dispatched to it.
    tickets = {t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(ticket_ids),
                                                                  ticket_access.visible_clause(user))).all()} \
        if ticket_ids else {}
    score = None
    if result.status == "evaluated":
        score = scoring.score_site(_scoring_items(items), {
            i.code: scoring.answer(answers[i.id].verdict, answers[i.id].occurrences) for i in items if i.id in answers})
    losses = {loss.code: loss.loss_tenths for loss in score.losses} if score else {}
    inspector = session.get(User, result.inspector_id)
    rows = []
    for i in items:
        a = answers.get(i.id)
        if a is None:
            continue
        t = tickets.get(a.ticket_id) if a.ticket_id else None
        rows.append(AnswerOut(item_code=i.code, item_text=i.text_zh, item_text_en=i.text_en, dimension=i.dimension,
                              dimension_en=defaults.dimension_en(i.dimension), points=i.points_tenths / 10,
                              verdict=a.verdict, occurrences=a.occurrences, note=a.note,
                              loss=losses.get(i.code, 0) / 10, ticket_id=t.id if t else None,
                              case_number=t.case_number if t else None, ticket_status=t.status if t else None))
    return ResultOut(
        id=result.id, round_id=round_site.round_id, site_id=site.id, site_name=site.name, status=result.status,
        unable_reason=result.unable_reason, distance_m=result.distance_m,
        far_from_site=result.distance_m is not None and result.distance_m > get_settings().eval_checkin_distance_m,
        submitted_at=result.submitted_at,
        inspector_name=inspector.display_name if inspector and access.sees_everything(user)
        or user.id == result.inspector_id else None,
        possible=score.possible_tenths / 10 if score else None, earned=score.earned_tenths / 10 if score else None,
        rate=score.rate if score else None, answers=rows)
