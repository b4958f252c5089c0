"""A real uvicorn process on a fresh database of the suite's kind, for load tests and bench/load.py.

`seed(url)` migrates and creates a small city (units, an inspector per phone, dispatchers, unit staff) whose
passwords are hashed with cheap Argon2 parameters: logins are not what these runs measure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlmodel import Session

from app.categories import service as categories_service
from app.core.db import make_engine
from app.evaluation import checklists
from app.units.models import Unit
from app.users.models import User
from app.users.roles import Role
from tests.dbutil import migrate
from tests.servers import Server, uvicorn_server

PASSWORD = "load-pass-1"


@dataclass
class City:
    unit_ids: list[int]
    inspectors: list[str]
    dispatchers: list[str]
    unit_staff: list[tuple[str, int]]
    leaders: list[str] = field(default_factory=list)  # the office's desks: the leader's screen,
    admins: list[str] = field(default_factory=list)   # the administrator's console


def seed(url: str, *, inspectors: int = 4, dispatchers: int = 2, units: int = 4) -> City:
    migrate(url)
    pw_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            categories_service.sync_taxonomy(s)
            checklists.seed(s)  # the default 测评细则, for an evaluation round
            unit_rows = [Unit(name=f"负载测试单位{i}") for i in range(units)]
            s.add_all(unit_rows)
            s.commit()
            city = City([u.id for u in unit_rows], [f"insp{i}" for i in range(inspectors)],
                        [f"disp{i}" for i in range(dispatchers)], [(f"staff{i}", u.id) for i, u in enumerate(unit_rows)],
                        ["leader0"], ["admin0"])
            users = [User(username=n, display_name=f"督查员{n}", role=Role.inspector, password_hash=pw_hash)
                     for n in city.inspectors]
            users += [User(username=n, display_name=f"派遣员{n}", role=Role.dispatcher, password_hash=pw_hash)
                      for n in city.dispatchers]
            users += [User(username=n, display_name=f"单位{n}", role=Role.unit_staff, unit_id=uid, password_hash=pw_hash)
                      for n, uid in city.unit_staff]
            users += [User(username=n, display_name="市创城办领导", role=Role.leader, password_hash=pw_hash)
                      for n in city.leaders]
            users += [User(username=n, display_name="系统管理员", role=Role.admin, password_hash=pw_hash)
                      for n in city.admins]
            s.add_all(users)
            s.commit()
    finally:
        engine.dispose()
    return city


def make_run_args(url: str) -> tuple[str, ...]:
    """The uvicorn arguments app/serve.py gives a server on this database (its process count)."""
    from app.core.config import Settings
    from app.serve import worker_count
    return "--workers", str(worker_count(Settings(database_url=url))), "--backlog", "2048"


@contextmanager
def live_server(url: str, workdir: Path, *, env: dict[str, str] | None = None,
                uvicorn_args: tuple[str, ...] = (), app: str = "app.main:app") -> Iterator[Server]:
    """uvicorn app.main:app (or another `app`, e.g. a bench's) on a free loopback port on this database: one
    process unless `uvicorn_args` say otherwise (`make_run_args(url)`: as `make run` starts it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    full_env.update(XUNCHA_DATABASE_URL=url, XUNCHA_MEDIA_DIR=str(workdir / "media"),
                    XUNCHA_LOGIN_MAX_FAILURES="100000", PYTHONUNBUFFERED="1",
                    # A load's phones share a few seeded accounts, each uploading at once: no per-account cap.
                    XUNCHA_UPLOAD_ACCOUNT_CONCURRENCY="0")
    full_env.update(env or {})
    with uvicorn_server(full_env, workdir / "server.log", ("--no-access-log", *uvicorn_args),
                        module=("uvicorn", app)) as server:
        yield server


def token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
