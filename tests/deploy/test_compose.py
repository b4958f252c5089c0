"""compose.yaml, read as docker compose reads it (no engine here): the services a city runs, wired to settings
the app really has, nothing public that should not be."""

import re

import pytest
import yaml

from app.core.config import Settings
from tests.servers import ROOT

COMPOSE = ROOT / "compose.yaml"
# The S3 photo store's settings (app/photos): accepted here until they are fields of Settings, checked after.
S3_SETTINGS = {"storage", "s3_endpoint_url", "s3_bucket", "s3_region", "s3_access_key", "s3_secret_key",
               "s3_path_style"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_services(compose):
    services = compose["services"]
    assert {"postgres", "minio", "minio-bucket", "migrate", "app1", "app2", "nginx"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["minio-bucket"]["image"].startswith("minio/mc")
    assert services["nginx"]["volumes"][0].startswith("./deploy/nginx.conf:/etc/nginx/nginx.conf")
    # Only nginx is published; the database, the store and the app processes stay inside the network.
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]


def test_the_app_containers_are_one_image_started_after_the_migration(compose):
    services = compose["services"]
    for name in ("app1", "app2"):
        app = services[name]
        assert app["build"] == "."
        assert app["command"][:3] == ["python", "-m", "app.serve"]
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
        assert "/api/ready" in " ".join(app["healthcheck"]["test"])
    assert "alembic upgrade head" in " ".join(services["migrate"]["command"])
    assert services["nginx"]["depends_on"] == {"app1": {"condition": "service_healthy"},
                                               "app2": {"condition": "service_healthy"}}


def test_every_app_setting_is_one_the_app_reads(compose):
    env = compose["services"]["app1"]["environment"]
    known = set(Settings.model_fields) | S3_SETTINGS
    names = {k.removeprefix("XUNCHA_").lower() for k in env}
    assert all(k.startswith("XUNCHA_") for k in env)
    assert names <= known, names - known
    assert {"database_url", "storage", "s3_bucket", "s3_endpoint_url", "trusted_proxies", "log_format"} <= names
    assert env["XUNCHA_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["XUNCHA_DATABASE_URL"]
    assert env["XUNCHA_STORAGE"] == "s3" and env["XUNCHA_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["XUNCHA_LOG_FORMAT"] == "json"
    # nginx's fixed address is the one proxy whose X-Forwarded-For the app believes.
    nginx_ip = compose["services"]["nginx"]["networks"]["xuncha"]["ipv4_address"]
    assert env["XUNCHA_TRUSTED_PROXIES"] == nginx_ip
    # As compose fills them in: `${NAME:-default}` is its default; a required `${NAME:?…}` is left out.
    values = {n: re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(env[f"XUNCHA_{n.upper()}"])) for n in names}
    settings = Settings(**{k: v for k, v in values.items() if k in Settings.model_fields and "${" not in v})
    assert settings.trusted_proxies == nginx_ip
    assert settings.storage == "s3" and settings.s3_bucket


def test_no_password_is_written_in_the_file():
    text = COMPOSE.read_text()
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET|TOKEN)[A-Z_]*:\s*\S", line) and not line.lstrip().startswith("#"):
            assert "${" in line, line


def test_the_bucket_is_private(compose):
    command = " ".join(compose["services"]["minio-bucket"]["command"])
    assert "mc mb --ignore-existing" in command and "mc anonymous set none" in command
    assert "public" not in command and "download" not in command


def test_the_env_example_names_every_variable_compose_requires():
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE.read_text()))
    example = {line.split("=", 1)[0] for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    assert required and required <= example, required - example


def test_postgresql_takes_every_connection_the_app_processes_may_open(compose):
    """Each process's pool holds XUNCHA_DB_SLOTS + POOL_OVERFLOW connections; all app processes together,
    plus a few for the migration and psql, must fit PostgreSQL's max_connections."""
    from app.core.db import POOL_OVERFLOW

    services = compose["services"]
    command = services["postgres"]["command"]
    max_connections = int(next(c.split("=", 1)[1] for c in command if c.startswith("max_connections=")))
    apps = [s for s in services.values() if s.get("command", [])[:3] == ["python", "-m", "app.serve"]]
    workers = int(re.fullmatch(r"\$\{XUNCHA_WORKERS:-(\d+)\}", apps[0]["environment"]["XUNCHA_WORKERS"]).group(1))
    slots = Settings.model_fields["db_slots"].default
    assert len(apps) * workers * (slots + POOL_OVERFLOW) + 10 <= max_connections


def test_the_build_context_leaves_out_secrets_and_local_environments():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "frontend/node_modules", "data", ".git"} <= ignored
