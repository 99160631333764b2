"""Configuration from environment variables (prefix ``PFM_``) and ``.streamlit/secrets.toml``.

Every command (``python -m app``, ``python -m app demo``, ``python -m jobs``) reads its
settings through :func:`get_settings`, so two data directories give two independent
installations. The environment wins over the secrets file. ``DATABASE_URL`` is also read
without the prefix, as hosting platforms set it that way.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


def _load_secrets(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"{path}: not valid TOML: {exc}") from exc
    return {str(k).upper(): v for k, v in data.items() if not isinstance(v, dict)}


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one installation."""

    data_dir: Path
    database_url: str | None = None
    app_db_password: str | None = None
    jobs_db_password: str | None = None
    auth_backend: str = "local"
    supabase_url: str | None = None
    supabase_anon_key: str | None = None
    supabase_jwt_secret: str | None = None
    cookie_key: str | None = None
    embedding_model: str = "all-MiniLM-L6-v2"
    port: int = 8501
    k_anonymity: int = 10
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "alerts@localhost"
    webhook_secret: str | None = None
    sms_gateway_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when no external database is configured and the embedded server is used."""
        return not self.database_url

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"


def get_settings(environ: dict[str, str] | None = None, secrets_file: Path | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) and the secrets file."""
    env = dict(os.environ if environ is None else environ)
    secrets = _load_secrets(secrets_file or SECRETS_FILE)

    def get(name: str, default: Any = None) -> Any:
        key = f"PFM_{name}"
        if env.get(key) not in (None, ""):
            return env[key]
        if name in secrets and secrets[name] not in (None, ""):
            return secrets[name]
        return default

    database_url = get("DATABASE_URL") or env.get("DATABASE_URL") or None
    data_dir = Path(get("DATA_DIR", ".data"))
    if not data_dir.is_absolute():
        data_dir = (Path.cwd() / data_dir).resolve()
    backend = str(get("AUTH_BACKEND", "local")).lower()
    if backend not in {"local", "supabase"}:
        raise SystemExit(f"PFM_AUTH_BACKEND must be 'local' or 'supabase', not {backend!r}")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        app_db_password=get("APP_DB_PASSWORD"),
        jobs_db_password=get("JOBS_DB_PASSWORD"),
        auth_backend=backend,
        supabase_url=get("SUPABASE_URL"),
        supabase_anon_key=get("SUPABASE_ANON_KEY"),
        supabase_jwt_secret=get("SUPABASE_JWT_SECRET"),
        cookie_key=get("COOKIE_KEY"),
        embedding_model=str(get("EMBEDDING_MODEL", "all-MiniLM-L6-v2")),
        port=int(get("PORT", 8501)),
        k_anonymity=int(get("K_ANONYMITY", 10)),
        smtp_host=get("SMTP_HOST"),
        smtp_port=int(get("SMTP_PORT", 25)),
        smtp_from=str(get("SMTP_FROM", "alerts@localhost")),
        webhook_secret=get("WEBHOOK_SECRET"),
        sms_gateway_url=get("SMS_GATEWAY_URL"),
    )
