"""Stale-while-busy: the statistics reuse a moment-old answer only when the server is busy."""

from app.core import recent
from app.core.recent import Recent
from app.users.roles import Role
from tests.conftest import login, make_user, report


def test_an_idle_server_always_computes_afresh():
    calls = []
    r = Recent()
    assert r.get("k", lambda: calls.append(1) or len(calls), max_age=0) == 1
    assert r.get("k", lambda: calls.append(1) or len(calls), max_age=0) == 2


def test_a_busy_server_reuses_an_answer_no_older_than_allowed(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    r = Recent()
    assert r.get("k", lambda: "first", max_age=10) == "first"
    clock[0] += 9
    assert r.get("k", lambda: "second", max_age=10) == "first"
    assert r.get("other", lambda: "other", max_age=10) == "other"  # another key is its own answer
    clock[0] += 2
    assert r.get("k", lambda: "third", max_age=10) == "third"


def test_entries_are_bounded():
    r = Recent(max_entries=3)
    for i in range(10):
        r.get(i, lambda i=i: i, max_age=10)
    assert len(r._entries) == 3 and list(r._entries) == [7, 8, 9]


def test_the_summary_reuses_figures_only_while_busy(client, db, monkeypatch):
    leader = login(client, make_user(db, Role.leader))
    inspector = login(client, make_user(db, Role.inspector))
    first = client.get("/api/stats/summary", headers=leader).json()

    monkeypatch.setattr(recent, "in_flight", lambda: 10_000)  # busy
    report(client, inspector)
    busy = client.get("/api/stats/summary", headers=leader).json()
    assert busy == first  # the same answer, as_of included: it says how old the figures are

    monkeypatch.setattr(recent, "in_flight", lambda: 0)  # idle again
    fresh = client.get("/api/stats/summary", headers=leader).json()
    assert fresh["total"]["reported"] == first["total"]["reported"] + 1
    assert fresh["as_of"] > first["as_of"]


def test_answers_no_busy_server_could_reuse_are_not_kept(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    r = Recent(keep_seconds=10)
    for i in range(5):
        r.get(i, lambda i=i: i, max_age=0)  # an idle server's answers, kept for a moment of business
    clock[0] += 11
    r.get("late", lambda: "late", max_age=0)
    assert list(r._entries) == ["late"]  # the five expired ones gone, not held until 512 others push them out
