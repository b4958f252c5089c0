"""Administration from the shell, for a real deployment without demo data.

    python -m app.cli create-unit "向阳街道办事处" --kind street --parent "东城区人民政府"
    python -m app.cli create-user admin --role admin --name "系统管理员"        # asks for the password
    python -m app.cli create-user unit_xy --role unit_staff --unit "向阳街道办事处" --name "周主任"
    python -m app.cli set-password unit_xy        # also revokes the user's tokens
    python -m app.cli deactivate unit_xy          # no more logins; tokens revoked
    python -m app.cli import-grids grids.geojson  # FeatureCollection; properties: name, unit (unit name)
    python -m app.cli import-sites sites.xlsx     # 测评点位 from .csv/.xlsx/.geojson; all or nothing
    python -m app.cli seed-checklists             # each site type's checklist v1 from the taxonomy (idempotent)

Passwords are read from the terminal, or from XUNCHA_PASSWORD when set (scripts).
"""

import argparse
import getpass
import json
import os
import sys

from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.db import new_session
from app.core.errors import DomainError
from app.core.security import hash_password
from app.evaluation import checklists as evaluation_checklists
from app.evaluation import sites as evaluation_sites
from app.units import service as units_service
from app.units.models import Unit
from app.units.schemas import UnitKind
from app.users.models import User
from app.users.roles import Role

MIN_PASSWORD = 8


class CliError(Exception):
    pass


def _password() -> str:
    password = os.environ.get("XUNCHA_PASSWORD") or getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD:
        raise CliError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def _unit(session: Session, name: str | None) -> Unit | None:
    if name is None:
        return None
    unit = session.exec(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        raise CliError(f"no unit named {name!r}")
    return unit


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise CliError(f"no user {username!r}")
    return user


def create_unit(session: Session, name: str, kind: str, parent: str | None) -> Unit:
    if session.exec(select(Unit).where(Unit.name == name)).first():
        raise CliError(f"unit {name!r} exists already")
    parent_unit = _unit(session, parent)
    unit = Unit(name=name, kind=kind, parent_id=parent_unit.id if parent_unit else None)
    session.add(unit)
    session.commit()
    return unit


def create_user(session: Session, username: str, role: Role, name: str, unit: str | None, password: str) -> User:
    if session.exec(select(User).where(User.username == username)).first():
        raise CliError(f"user {username!r} exists already")
    if (role == Role.unit_staff) != (unit is not None):
        raise CliError("unit_staff need --unit, and only unit_staff belong to a unit")
    unit_row = _unit(session, unit)
    user = User(username=username, display_name=name or username, role=role, password_hash=hash_password(password),
                unit_id=unit_row.id if unit_row else None)
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, username: str, password: str) -> None:
    user = _user(session, username)
    user.password_hash = hash_password(password)
    session.add(user)
    session.commit()
    auth_service.revoke_all(session, user.id)
    session.commit()


def deactivate(session: Session, username: str) -> None:
    user = _user(session, username)
    user.is_active = False
    session.add(user)
    session.commit()
    auth_service.revoke_all(session, user.id)
    session.commit()


def import_grids(session: Session, geojson: dict) -> int:
    """Grids from a GeoJSON FeatureCollection whose features name their unit; all or nothing."""
    features = geojson.get("features") or []
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        unit = _unit(session, props.get("unit"))
        if unit is None:
            raise CliError(f"feature {i}: properties.unit (a unit name) is missing")
        try:
            grid = units_service.grid_from_geojson(props.get("name") or f"网格 {i + 1}", unit.id, feature["geometry"])
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise CliError(f"feature {i}: {exc}") from exc
        session.add(grid)
    session.commit()
    return len(features)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-unit")
    p.add_argument("name")
    p.add_argument("--kind", default="department", choices=list(UnitKind))
    p.add_argument("--parent")
    p = sub.add_parser("create-user")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--name", default="")
    p.add_argument("--unit")
    for command in ("set-password", "deactivate"):
        sub.add_parser(command).add_argument("username")
    sub.add_parser("import-grids").add_argument("path")
    sub.add_parser("import-sites", help="测评点位 from a .csv, .xlsx or .geojson file").add_argument("path")
    sub.add_parser("seed-checklists", help="version 1 of each site type's checklist from the taxonomy (idempotent)")
    args = parser.parse_args(argv)
    try:
        with new_session(write=True) as session:
            match args.command:
                case "create-unit":
                    print(f"unit {create_unit(session, args.name, args.kind, args.parent).id} created")
                case "create-user":
                    user = create_user(session, args.username, Role(args.role), args.name, args.unit, _password())
                    print(f"user {user.username} ({user.role}) created")
                case "set-password":
                    set_password(session, args.username, _password())
                    print("password changed; the user's tokens are revoked")
                case "deactivate":
                    deactivate(session, args.username)
                    print("deactivated; the user's tokens are revoked")
                case "import-grids":
                    with open(args.path, encoding="utf-8") as f:
                        print(f"{import_grids(session, json.load(f))} grids imported")
                case "import-sites":
                    with open(args.path, "rb") as f:
                        result = evaluation_sites.import_file(session, os.path.basename(args.path), f.read())
                    session.commit()
                    print(f"{result.created} sites created, {result.updated} updated")
                case "seed-checklists":
                    made = evaluation_checklists.seed(session)
                    session.commit()
                    print(f"{made} checklists seeded")
    except (CliError, json.JSONDecodeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.details if isinstance(exc.details, list) else []:
            where = f"row {problem.get('row')} {problem.get('column') or ''}"
            print(f"  {where}: {problem.get('message')}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
