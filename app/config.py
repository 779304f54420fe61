"""Configuration: defaults → instance file → ALLUVIUM_* environment → test mapping.

Nothing here is read at import time; :func:`load_config` is called by the app factory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    # SWORD v2 deposit (docs/sword.md): largest zip package accepted (bytes), total size its
    # files may unpack to, and the highest compression ratio of an entry over 1 MiB (zip bombs).
    "SWORD_MAX_PACKAGE_SIZE": 10 * 1024**3,
    "SWORD_MAX_UNPACKED_SIZE": 50 * 1024**3,
    "SWORD_MAX_COMPRESSION_RATIO": 100,
    # Quotas, in bytes (0: none), checked before a byte of an upload is stored (HTTP 413):
    # the files of one draft, and everything a user has in unpublished records plus their
    # uploads in progress.
    "MAX_DRAFT_SIZE": 0,
    "MAX_USER_UPLOAD_SIZE": 0,
    # Resumable (tus) uploads: an upload idle this many seconds expires and is cleaned
    # (`alluvium storage expire-uploads`, and the background runner every
    # UPLOAD_EXPIRY_CHECK_SECONDS). Partial data lives in UPLOADS_PATH (empty: ``tmp/tus``
    # in the local store, or ``uploads/`` in the instance folder for S3).
    "UPLOAD_EXPIRY_SECONDS": 24 * 3600,
    "UPLOAD_EXPIRY_CHECK_SECONDS": 600,
    "UPLOADS_PATH": "",
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
    # Archival packages (BagIt bags, docs/preservation.md), separate from the working store.
    # ARCHIVE_BACKEND: "local" (a folder). ARCHIVE_PATH empty: ``archive/`` in the instance folder.
    "ARCHIVE_BACKEND": "local",
    "ARCHIVE_PATH": "",
    # The second location that receives a verified copy of every package (a folder on another
    # disk or host mount). Empty: no replica, and no package counts as preserved.
    "ARCHIVE_REPLICA_PATH": "",
    # ARCHIVE_BACKEND "s3": the bucket and key prefix of the packages; the replica may be a bucket
    # too (it then wins over ARCHIVE_REPLICA_PATH). Endpoint and credentials: the S3_* settings.
    "ARCHIVE_S3_BUCKET": "",
    "ARCHIVE_S3_PREFIX": "archive/",
    "ARCHIVE_REPLICA_S3_BUCKET": "",
    "ARCHIVE_REPLICA_S3_PREFIX": "archive/",
    # `alluvium archive audit` without bounds checks enough copies per run that a daily run
    # re-hashes every copy within this many days.
    "ARCHIVE_AUDIT_PERIOD_DAYS": 90,
    # `storage cleanup` never deletes an unreferenced object stored or deduplicated less than
    # this many seconds ago (an upload may be about to reference it).
    "STORAGE_CLEANUP_GRACE": 24 * 3600,
    # Data management plans (docs/dmp.md). This repository as a maDMP host in write-backs:
    # its title (default REPOSITORY_NAME), URL (default BASE_URL), certification (one of the
    # maDMP values: coretrustseal, wds, dsa, iso16363, ...; empty: none) and country (ISO 3166).
    "DMP_HOST_TITLE": "",
    "DMP_HOST_URL": "",
    "DMP_HOST_CERTIFICATION": "",
    "DMP_HOST_COUNTRY": "FR",
    # DMP OPIDoR (https://dmp.opidor.fr): API base URL and the API client's credentials
    # (ALLUVIUM_DMP_OPIDOR_CLIENT_SECRET in the environment). Empty client id: link disabled.
    "DMP_OPIDOR_URL": "https://dmp.opidor.fr",
    "DMP_OPIDOR_CLIENT_ID": "",
    "DMP_OPIDOR_CLIENT_SECRET": "",
    "DMP_OPIDOR_TIMEOUT": 20,
    # PID provider for published records: "local" (no credentials needed) or "datacite"
    # (DOIs; docs/dois.md). DATACITE_PASSWORD belongs in the environment
    # (ALLUVIUM_DATACITE_PASSWORD), not in a file under version control.
    "PID_PROVIDER": "local",
    # DataCite REST API: https://api.test.datacite.org (test) or https://api.datacite.org.
    "DATACITE_API_URL": "https://api.test.datacite.org",
    # Repository account (e.g. INIST.ALLUVIUM) and its password.
    "DATACITE_USERNAME": "",
    "DATACITE_PASSWORD": "",
    # The repository's DOI prefix, e.g. 10.12345.
    "DATACITE_PREFIX": "",
    # Seconds to wait for one DataCite answer.
    "DATACITE_TIMEOUT": 30,
    # Requests per second to DataCite, shared by every worker process (token bucket in the
    # database); 1.6 is the sustained bulk rate DataCite asks for. BURST: bucket size.
    "DATACITE_RATE_LIMIT": 1.6,
    "DATACITE_RATE_BURST": 1,
    "DATACITE_RATE_WINDOW": 60,
    "DATACITE_RATE_GUARD": 1.0,
    # Back-off of a failing DOI registration: base * 2**attempts (with jitter), at most MAX;
    # a Retry-After from DataCite is honoured. No limit on the number of attempts.
    "DOI_RETRY_BASE_SECONDS": 5,
    "DOI_RETRY_MAX_SECONDS": 600,
    # How long a worker owns a DOI while it talks to DataCite (empty: 2 * timeout + 30 s).
    "DOI_LEASE_SECONDS": None,
    # Run queued side effects (publishing, …) right after the request's commit.
    # False: a worker runs them (`alluvium jobs run`).
    "JOBS_EAGER": True,
    # A worker's claim on a job lasts this long (seconds); a long job renews it (heartbeat). A
    # running job whose lease expired (its worker died) is claimed again by another worker.
    "JOBS_LEASE_SECONDS": 300,
    # Failed attempts (exceptions, crashed workers) before a job is marked failed.
    "JOBS_MAX_ATTEMPTS": 5,
    # Retry back-off: base * 2^(attempt-1), capped, half of it random (jitter). Seconds.
    "JOBS_RETRY_BASE_SECONDS": 30,
    "JOBS_RETRY_MAX_SECONDS": 3600,
    # `alluvium serve` (and `demo --serve`) run due jobs in a background thread polling every
    # JOBS_POLL_SECONDS; `create_app` alone never starts it (tests stay deterministic).
    "JOBS_BACKGROUND_RUNNER": True,
    "JOBS_POLL_SECONDS": 5,
    # Every worker runs the periodic sweeps (e.g. DOIs left unregistered by a killed worker are
    # queued again) at most this often, in seconds.
    "JOBS_SWEEP_SECONDS": 30,
    # E-mail notifications of the moderation desk (docs/configuration.md#e-mail). "console":
    # written to the log (logger "alluvium.mail"), nothing sent; "smtp": sent to MAIL_SERVER.
    "MAIL_BACKEND": "console",
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    # "none", "starttls" (upgrade the connection) or "ssl" (TLS from the start, usually port 465).
    "MAIL_SECURITY": "none",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "alluvium@localhost",
    "MAIL_TIMEOUT": 30,
    # The language of the e-mails (empty: BABEL_DEFAULT_LOCALE).
    "MAIL_LOCALE": "",
    # The "reviewed by" statement names the community only; True adds the moderator's name.
    "REVIEW_STATEMENT_NAMES_MODERATOR": False,
    # Refuse to start when the database schema is not at the latest migration.
    "CHECK_MIGRATIONS": True,
    # Search (docs/search.md): "embedded" (the database's own full-text and spatial indexes) or
    # "elasticsearch" (Elasticsearch/OpenSearch at ELASTICSEARCH_URL; pip install
    # 'alluvium[elasticsearch]'). The embedded index is maintained either way.
    "SEARCH_BACKEND": "embedded",
    "ELASTICSEARCH_URL": "",
    "ELASTICSEARCH_INDEX_PREFIX": "alluvium",
    "ELASTICSEARCH_TIMEOUT": 10,
    # The deposit form's map (docs/configuration.md): a raster tile URL template such as
    # https://tile.openstreetmap.org/{z}/{x}/{y}.png, and its attribution. Empty: only the
    # bundled Natural Earth basemap (works with no network).
    "MAP_TILE_URL": "",
    "MAP_TILE_ATTRIBUTION": "",
    # The deposit form's look-ups of people and organisations (docs/configuration.md): ORCID's
    # public API v3.0 and the ROR API v2, asked by this server with a short timeout (seconds).
    "ORCID_API_URL": "https://pub.orcid.org/v3.0",
    "ROR_API_URL": "https://api.ror.org/v2",
    "LOOKUP_TIMEOUT": 5,
    # Largest dataset logo accepted by the deposit form (bytes; PNG, JPEG, GIF or WebP).
    "LOGO_MAX_SIZE": 1024 * 1024,
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
    # Send the session cookies over HTTPS only. None: True exactly when BASE_URL is https.
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Host names (besides BASE_URL's) this site answers to; other Host headers get HTTP 400.
    # A list, or a comma-separated string. TRUSTED_HOSTS itself, when set, replaces the derivation.
    "EXTRA_TRUSTED_HOSTS": [],
    # Sign-in throttling: failed attempts allowed per account and per client address within
    # LOGIN_FAILURE_WINDOW seconds before HTTP 429 with Retry-After.
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_CLIENT": 20,
    "LOGIN_FAILURE_WINDOW": 15 * 60,
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0:
    # none). Behind nginx set 1, or every client shares the proxy's address for throttling.
    "PROXY_COUNT": 0,
    # Flask-WTF CSRF: the form field keeps our historical name; the token lives as long as the
    # session (sign-out ends it), so a page left open does not fail on submit.
    "WTF_CSRF_FIELD_NAME": "_csrf",
    "WTF_CSRF_TIME_LIMIT": None,
    # app/security.py decides which requests need the token (not bearer-token calls, not OAI-PMH)
    # and checks Origin/Referer against BASE_URL whenever the browser sends them.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_SSL_STRICT": False,
}

LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"]
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
    if not app.config["ARCHIVE_PATH"]:
        app.config["ARCHIVE_PATH"] = str(instance / "archive")
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    for key in (
        "MAX_FILE_SIZE",
        "MAX_JSON_SIZE",
        "MAX_FILES_PER_RECORD",
        "MAX_DRAFT_SIZE",
        "MAX_USER_UPLOAD_SIZE",
        "UPLOAD_EXPIRY_SECONDS",
        "UPLOAD_EXPIRY_CHECK_SECONDS",
        "API_PAGE_SIZE",
        "OAI_RECORDS_PER_PAGE",
        "OAI_IDENTIFIERS_PER_PAGE",
        "OAI_TOKEN_TTL",
        "OAI_SNAPSHOT_RETENTION",
        "LOGIN_MAX_FAILURES_PER_ACCOUNT",
        "LOGIN_MAX_FAILURES_PER_CLIENT",
        "LOGIN_FAILURE_WINDOW",
        "PROXY_COUNT",
        "S3_PRESIGN_EXPIRES",
        "EXTRACTION_MEMORY_MB",
        "EXTRACTION_MAX_SIZE",
        "SWORD_MAX_PACKAGE_SIZE",
        "SWORD_MAX_UNPACKED_SIZE",
        "SWORD_MAX_COMPRESSION_RATIO",
    ):
        app.config[key] = int(app.config[key])
    _derive_security(app.config)
    _check_oai(app.config)
    _check_jobs(app.config)
    _check_archive(app.config)
    if app.config["SEARCH_BACKEND"] not in ("embedded", "elasticsearch"):
        raise ValueError(f"SEARCH_BACKEND={app.config['SEARCH_BACKEND']!r}: use embedded or elasticsearch")
    if app.config["SEARCH_BACKEND"] == "elasticsearch" and not app.config["ELASTICSEARCH_URL"]:
        raise ValueError("SEARCH_BACKEND=elasticsearch needs ELASTICSEARCH_URL")
    if app.config["PID_PROVIDER"] == "datacite":
        from app.pid.datacite import settings_from_config

        settings_from_config(app.config)  # refuse to start with an incomplete DataCite account
    # Werkzeug's own limit would reject file uploads before our streaming code sees them;
    # the file endpoint enforces MAX_FILE_SIZE itself and JSON endpoints MAX_JSON_SIZE.
    app.config["MAX_CONTENT_LENGTH"] = None


def _derive_security(cfg: Any) -> None:
    """Secure cookies and trusted hosts follow BASE_URL unless configured explicitly."""
    base = urlsplit(cfg["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ValueError(f"BASE_URL={cfg['BASE_URL']!r} is not an http(s) URL")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if cfg.get(key) is None:
            cfg[key] = base.scheme == "https"
    if cfg.get("TRUSTED_HOSTS") is None:
        extra = cfg["EXTRA_TRUSTED_HOSTS"]
        if isinstance(extra, str):
            extra = [h for h in (p.strip() for p in extra.split(",")) if h]
        hosts = [base.hostname, *extra]
        if cfg.get("TESTING") or base.hostname in LOOPBACK_HOSTS:
            hosts += LOOPBACK_HOSTS  # Flask's test client says "localhost"; live servers 127.0.0.1
        cfg["TRUSTED_HOSTS"] = list(dict.fromkeys(h.lower() for h in hosts))
    for key in ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_MAX_FAILURES_PER_CLIENT", "LOGIN_FAILURE_WINDOW"):
        if cfg[key] < 1:
            raise ValueError(f"{key} must be at least 1")


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


def _check_archive(cfg: Any) -> None:
    """Refuse an archive set-up that would fail every archive-version job (docs/preservation.md)."""
    if cfg["ARCHIVE_BACKEND"] not in ("local", "s3"):
        raise ValueError(f"ARCHIVE_BACKEND={cfg['ARCHIVE_BACKEND']!r}: 'local' or 's3'")
    if cfg["ARCHIVE_BACKEND"] == "s3" and not cfg.get("ARCHIVE_S3_BUCKET"):
        raise ValueError("ARCHIVE_BACKEND=s3 needs ARCHIVE_S3_BUCKET")
    if cfg.get("ARCHIVE_REPLICA_S3_BUCKET") and cfg["ARCHIVE_BACKEND"] == "s3":
        same = (
            cfg["ARCHIVE_REPLICA_S3_BUCKET"],
            str(cfg.get("ARCHIVE_REPLICA_S3_PREFIX") or "").strip("/"),
        ) == (
            cfg["ARCHIVE_S3_BUCKET"],
            str(cfg.get("ARCHIVE_S3_PREFIX") or "").strip("/"),
        )
        if same:
            raise ValueError("the replica bucket and prefix must be another location than the primary ones")
    try:
        cfg["ARCHIVE_AUDIT_PERIOD_DAYS"] = float(cfg["ARCHIVE_AUDIT_PERIOD_DAYS"])
    except (TypeError, ValueError):
        raise ValueError(
            f"ARCHIVE_AUDIT_PERIOD_DAYS={cfg['ARCHIVE_AUDIT_PERIOD_DAYS']!r} is not a number"
        ) from None
    if cfg["ARCHIVE_AUDIT_PERIOD_DAYS"] < 1:
        raise ValueError("ARCHIVE_AUDIT_PERIOD_DAYS must be at least 1")
    replica = str(cfg["ARCHIVE_REPLICA_PATH"] or "")
    if replica and os.path.abspath(replica) == os.path.abspath(str(cfg["ARCHIVE_PATH"])):
        raise ValueError("ARCHIVE_REPLICA_PATH must be another location than ARCHIVE_PATH")


def _check_jobs(cfg: Any) -> None:
    """Parse the JOBS_* numbers, refusing values that would stall or spin the job runner."""
    for key, kind, low in (
        ("JOBS_LEASE_SECONDS", float, 0.1),
        ("JOBS_MAX_ATTEMPTS", int, 1),
        ("JOBS_RETRY_BASE_SECONDS", float, 0.0),
        ("JOBS_RETRY_MAX_SECONDS", float, 0.0),
        ("JOBS_POLL_SECONDS", float, 0.05),
        ("JOBS_SWEEP_SECONDS", float, 0.0),
    ):
        try:
            cfg[key] = kind(cfg[key])
        except (TypeError, ValueError):
            raise ValueError(f"{key}={cfg[key]!r} is not a number") from None
        if cfg[key] < low:
            raise ValueError(f"{key} must be at least {low}")
    cfg["JOBS_BACKGROUND_RUNNER"] = bool(cfg["JOBS_BACKGROUND_RUNNER"])
