"""Administration from the shell, for a real deployment without demo data.

    python -m app.cli create-unit "向阳街道办事处" --kind street --parent "东城区人民政府"
    python -m app.cli create-user admin --role admin --name "系统管理员"        # asks for the password
    python -m app.cli create-user unit_xy --role unit_staff --unit "向阳街道办事处" --name "周主任"
    python -m app.cli set-password unit_xy        # also revokes the user's tokens
    python -m app.cli deactivate unit_xy          # no more logins; tokens revoked
    python -m app.cli reactivate unit_xy
    python -m app.cli revoke-tokens unit_xy       # a lost phone: logged out everywhere
    python -m app.cli import-grids grids.geojson  # FeatureCollection; properties: name, unit (unit name)
    python -m app.cli import-sites sites.xlsx     # 测评点位 from .csv/.xlsx/.geojson; all or nothing
    python -m app.cli seed-checklists             # each site type's checklist v1 from the taxonomy (idempotent)
    python -m app.cli storage-migrate             # copy XUNCHA_MEDIA_DIR into XUNCHA_S3_BUCKET, SHA-256 checked

Passwords are read from the terminal, or from XUNCHA_PASSWORD when set (scripts).
"""

import argparse
import getpass
import json
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from sqlmodel import Session, select

from app.audit.service import Actor
from app.core.config import get_settings
from app.core.db import new_session
from app.core.errors import DomainError
from app.evaluation import checklists as evaluation_checklists
from app.evaluation import sites as evaluation_sites
from app.photos import migrate as photos_migrate
from app.photos import service as photos_service
from app.units import admin as units_admin
from app.units import grids as units_grids
from app.units.models import Unit
from app.units.schemas import GridImport, UnitCreate, UnitKind
from app.users import admin as users_admin
from app.users.models import User
from app.users.roles import Role
from app.users.schemas import UserCreate, UserPatch

ACTOR = Actor.cli()  # audit rows of the CLI name the shell's login


class CliError(Exception):
    pass


def _password() -> str:
    return os.environ.get("XUNCHA_PASSWORD") or getpass.getpass("password: ")


def _unit(session: Session, name: str | None) -> Unit | None:
    if name is None:
        return None
    unit = session.exec(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        raise CliError(f"no unit named {name!r}")
    return unit


def create_unit(session: Session, name: str, kind: str, parent: str | None) -> Unit:
    parent_unit = _unit(session, parent)
    unit = units_admin.create(session, ACTOR, UnitCreate(name=name, kind=kind,
                                                         parent_id=parent_unit.id if parent_unit else None))
    session.commit()
    return unit


def create_user(session: Session, username: str, role: Role, name: str, unit: str | None, password: str) -> User:
    unit_row = _unit(session, unit)
    user = users_admin.create(session, ACTOR, UserCreate(
        username=username, display_name=name or username, role=role, unit_id=unit_row.id if unit_row else None,
        password=password))
    session.commit()
    return user


def set_password(session: Session, username: str, password: str) -> None:
    users_admin.reset_password(session, ACTOR, users_admin.by_username(session, username).id, password)
    session.commit()


def deactivate(session: Session, username: str) -> None:
    users_admin.update(session, ACTOR, users_admin.by_username(session, username).id, UserPatch(is_active=False))
    session.commit()


def reactivate(session: Session, username: str) -> None:
    users_admin.update(session, ACTOR, users_admin.by_username(session, username).id, UserPatch(is_active=True))
    session.commit()


def revoke_tokens(session: Session, username: str) -> int:
    revoked = users_admin.revoke_tokens(session, ACTOR, users_admin.by_username(session, username).id)
    session.commit()
    return revoked


def import_grids(session: Session, geojson: dict) -> int:
    """Grids from a GeoJSON FeatureCollection whose features name their unit; all or nothing."""
    grids = units_grids.import_features(session, ACTOR, GridImport.model_validate(geojson))
    session.commit()
    return len(grids)


def storage_migrate(source: str | None, jobs: int) -> int:
    """Copy the local media directory into the S3 bucket of the settings; 1 when any object failed."""
    root = source or str(get_settings().media_dir)
    if not os.path.isdir(root):
        raise CliError(f"no media directory at {root}")
    target = photos_service.s3_storage()
    report = photos_migrate.migrate(root, target, jobs=jobs)
    for key, reason in report.failed:
        print(f"failed: {key}: {reason}", file=sys.stderr)
    for name in report.skipped:
        print(f"skipped (not a photo file): {name}", file=sys.stderr)
    print(f"{report.summary()} → s3://{target.bucket}")
    return 1 if report.failed else 0


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
    for command in ("set-password", "deactivate", "reactivate", "revoke-tokens"):
        sub.add_parser(command).add_argument("username")
    sub.add_parser("import-grids").add_argument("path")
    sub.add_parser("import-sites", help="测评点位 from a .csv, .xlsx or .geojson file").add_argument("path")
    sub.add_parser("seed-checklists", help="version 1 of each site type's checklist from the taxonomy (idempotent)")
    p = sub.add_parser("storage-migrate", help="copy a local media directory into the S3 bucket (idempotent)")
    p.add_argument("--source", help="the media directory (default: XUNCHA_MEDIA_DIR)")
    p.add_argument("--jobs", type=int, default=8, help="objects copied at once")
    args = parser.parse_args(argv)
    try:
        if args.command == "storage-migrate":
            return storage_migrate(args.source, args.jobs)
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
                case "reactivate":
                    reactivate(session, args.username)
                    print("reactivated")
                case "revoke-tokens":
                    print(f"{revoke_tokens(session, args.username)} tokens revoked")
                case "import-grids":
                    with open(args.path, encoding="utf-8") as f:
                        print(f"{import_grids(session, json.load(f))} grids imported")
                case "import-sites":
                    with open(args.path, "rb") as f:
                        result = evaluation_sites.import_file(session, ACTOR, os.path.basename(args.path), f.read())
                    session.commit()
                    print(f"{result.created} sites created, {result.updated} updated")
                case "seed-checklists":
                    made = evaluation_checklists.seed(session)
                    session.commit()
                    print(f"{made} checklists seeded")
    except (CliError, json.JSONDecodeError, OSError, ClientError, BotoCoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for problem in exc.errors():
            print(f"error: {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.details if isinstance(exc.details, list) else []:
            if isinstance(problem, dict):
                where = f"feature {problem['feature']}" if "feature" in problem else \
                    f"row {problem.get('row')} {problem.get('column') or ''}"
                print(f"  {where}: {problem.get('message')}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
