"""requirements.lock is what runs: every dependency pyproject.toml names is locked within its range, this
environment holds exactly the locked versions, and the image installs through the lock too."""

import importlib.metadata
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.dbutil import ROOT


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_locked_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked()
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in requirements.lock: run make lock"
        assert req.specifier.contains(locked[name], prereleases=True), (spec, locked[name])


def test_this_environment_is_the_lock():
    stale = {name: (version, importlib.metadata.version(name)) for name, version in _locked().items()
             if importlib.metadata.version(name) != version}
    assert stale == {}, "installed versions differ from requirements.lock: make venv (or make lock)"


def test_the_image_installs_through_the_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY pyproject.toml requirements.lock ./" in dockerfile
    assert "pip install --no-cache-dir -c requirements.lock ." in dockerfile
