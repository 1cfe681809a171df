"""Settings: built-in defaults < ``instance/sikd.toml`` < ``SIKD_*`` environment variables.

Keys are upper case without the prefix: ``SIKD_DATABASE_URL`` and ``database_url`` in the
TOML file both set ``DATABASE_URL``. Values from the environment are coerced to the type of
the built-in default, so ``SIKD_IDLE_TIMEOUT_MINUTES=10`` becomes the integer 10.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "SIKD_"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "",  # empty: SQLite file sikd.db in the instance folder
    "STORAGE_DIR": "",  # empty: files/ in the instance folder
    "REDIS_URL": "",
    "JOBS_INLINE": False,  # run jobs in the request even when Redis is there
    "JOBS_QUEUE": "sikd",
    "SECRET_KEY": "",  # empty: generated once into the instance folder
    "DEFAULT_LOCALE": "id",
    "LANGUAGES": ["id", "en"],
    "IDLE_TIMEOUT_MINUTES": 30,
    "ABSOLUTE_SESSION_HOURS": 12,
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "MAX_UPLOAD_MB": 50,
    "STORAGE_ALLOWED_TYPES": ["pdf", "docx", "xlsx", "odt", "jpeg", "png", "tiff"],
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "SQLITE_MMAP_MB": 1024,
    "FORCE_HTTPS_COOKIES": False,
    "TRUSTED_PROXIES": 0,
    "INSTITUTION_NAME": "Sekretariat Jenderal",
    "SAFE_MODE": False,
    "STRICT_PLUGINS": False,
    "TRACE_PLUGINS": False,
    "PLUGIN_STATE_TTL": 1.0,
}

SECRET_KEY_FILE = "secret_key"


def instance_path_from_env() -> Path:
    return Path(os.environ.get("SIKD_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return {key.upper(): value for key, value in tomllib.load(handle).items()}


def read_env(environ: Mapping[str, str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        settings[key] = _coerce(raw, defaults.get(key, ""))
    return settings


def load_settings(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge the three layers, then fill in the values derived from the instance folder."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update(read_toml(instance_path / "sikd.toml"))
    settings.update(read_env(environ, settings))
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'sikd.db'}"
    if not settings["STORAGE_DIR"]:
        settings["STORAGE_DIR"] = str(instance_path / "files")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = instance_secret_key(instance_path)
    return settings


def instance_overrides(
    instance_path: Path, defaults: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Values for ``defaults``' keys (a plugin's settings) from the TOML file and environment."""
    environ = os.environ if environ is None else environ
    found = {k: v for k, v in read_toml(instance_path / "sikd.toml").items() if k in defaults}
    found.update({k: v for k, v in read_env(environ, defaults).items() if k in defaults})
    return found


def instance_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, generating it the first time (mode 0600)."""
    path = instance_path / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
