"""Configuration: defaults → instance file → ALLUVIUM_* environment → test mapping.

Nothing here is read at import time; :func:`load_config` is called by the app factory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: Every setting with its default. docs/configuration.md documents each one.
DEFAULTS: dict[str, Any] = {
    # SQLAlchemy URL. Empty: SQLite file ``alluvium.db`` in the instance folder.
    "DATABASE_URL": "",
    # Public base URL used in landing-page links, PIDs and exports.
    "BASE_URL": "http://127.0.0.1:5000",
    "REPOSITORY_NAME": "Alluvium",
    "ADMIN_EMAIL": "admin@alluvium.invalid",
    # Largest accepted file upload, in bytes (HTTP 413 above it).
    "MAX_FILE_SIZE": 50 * 1024**3,
    # Largest accepted JSON request body, in bytes.
    "MAX_JSON_SIZE": 2 * 1024**2,
    # Most files one record version may carry.
    "MAX_FILES_PER_RECORD": 1000,
    "STORAGE_BACKEND": "local",
    # Empty: ``storage/`` in the instance folder.
    "STORAGE_PATH": "",
    # S3-compatible object store (STORAGE_BACKEND = "s3"); see docs/configuration.md.
    "S3_ENDPOINT_URL": "",
    "S3_BUCKET": "",
    "S3_REGION": "us-east-1",
    "S3_ACCESS_KEY_ID": "",
    "S3_SECRET_ACCESS_KEY": "",
    "S3_PREFIX": "",
    # Answer downloads with a redirect to a presigned URL instead of streaming through the app.
    "S3_PRESIGNED_DOWNLOADS": False,
    "S3_PRESIGN_EXPIRES": 300,
    # Metadata proposed from uploaded files (job extract-file-metadata, package extraction/).
    "EXTRACTION_ENABLED": True,
    # Per file: wall-clock seconds and address space (MB) of the reader's child process.
    "EXTRACTION_TIMEOUT": 30,
    "EXTRACTION_MEMORY_MB": 1024,
    # Larger files are not read (a remote store copies the object to a temporary file first).
    "EXTRACTION_MAX_SIZE": 5 * 1024**3,
    # PID provider for published records: "local" (no credentials needed).
    "PID_PROVIDER": "local",
    # Run queued side effects (publishing, …) right after the request's commit.
    # False: a worker runs them (`alluvium jobs run`).
    "JOBS_EAGER": True,
    # Refuse to start when the database schema is not at the latest migration.
    "CHECK_MIGRATIONS": True,
    "API_PAGE_SIZE": 25,
    "API_MAX_PAGE_SIZE": 200,
    # Hashing cost for passwords (argon2id); tests lower it.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    # OAI-PMH: the repositoryIdentifier of ``oai:<domain>:<record id>`` identifiers; set it to
    # your domain name before the first harvest and never change it afterwards.
    "OAI_REPOSITORY_IDENTIFIER": "alluvium.invalid",
    "OAI_RECORDS_PER_PAGE": 100,
    "OAI_IDENTIFIERS_PER_PAGE": 500,
    # Lifetime of each resumption token, in seconds (at least 24 hours).
    "OAI_TOKEN_TTL": 48 * 3600,
    # How long superseded item states are kept, so a harvest that started up to this long ago
    # still sees the records as they were at its start (seconds; must exceed OAI_TOKEN_TTL).
    "OAI_SNAPSHOT_RETENTION": 7 * 24 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}

INSTANCE_CONFIG_FILE = "alluvium.cfg"
SECRET_KEY_FILE = "secret_key"


def instance_path_from_env() -> str | None:
    """The instance folder named by ALLUVIUM_INSTANCE_PATH, if any."""
    value = os.environ.get("ALLUVIUM_INSTANCE_PATH")
    return os.path.abspath(value) if value else None


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in precedence order and derive the dependent settings."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(INSTANCE_CONFIG_FILE, silent=True)
    app.config.from_prefixed_env("ALLUVIUM")
    if test_config:
        app.config.from_mapping(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'alluvium.db'}"
    if not app.config["STORAGE_PATH"]:
        app.config["STORAGE_PATH"] = str(instance / "storage")
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    for key in (
        "MAX_FILE_SIZE",
        "MAX_JSON_SIZE",
        "MAX_FILES_PER_RECORD",
        "API_PAGE_SIZE",
        "OAI_RECORDS_PER_PAGE",
        "OAI_IDENTIFIERS_PER_PAGE",
        "OAI_TOKEN_TTL",
        "OAI_SNAPSHOT_RETENTION",
        "S3_PRESIGN_EXPIRES",
        "EXTRACTION_MEMORY_MB",
        "EXTRACTION_MAX_SIZE",
    ):
        app.config[key] = int(app.config[key])
    _check_oai(app.config)
    # Werkzeug's own limit would reject file uploads before our streaming code sees them;
    # the file endpoint enforces MAX_FILE_SIZE itself and JSON endpoints MAX_JSON_SIZE.
    app.config["MAX_CONTENT_LENGTH"] = None


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, generating it (mode 0600) on first run."""
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def _check_oai(cfg: Any) -> None:
    """Refuse settings that would break harvesters, naming the setting."""
    import re

    domain = str(cfg["OAI_REPOSITORY_IDENTIFIER"])
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$", domain):
        raise ValueError(
            f"OAI_REPOSITORY_IDENTIFIER={domain!r} is not a domain name (oai-identifier syntax, e.g. data.example.org)"
        )
    if cfg["OAI_TOKEN_TTL"] < 24 * 3600:
        raise ValueError("OAI_TOKEN_TTL must be at least 86400 seconds (24 hours)")
    if cfg["OAI_SNAPSHOT_RETENTION"] <= cfg["OAI_TOKEN_TTL"]:
        raise ValueError("OAI_SNAPSHOT_RETENTION must be longer than OAI_TOKEN_TTL")
    for key in ("OAI_RECORDS_PER_PAGE", "OAI_IDENTIFIERS_PER_PAGE"):
        if not 1 <= cfg[key] <= 10000:
            raise ValueError(f"{key} must be between 1 and 10000")
