"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_BASE_URL = "https://localhost:5443"
PACKAGE_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "ja", "sv")  # the shipped catalogues; English is the source


def _flag(value: str | None, default: bool) -> bool:
    """Read a yes/no environment value."""
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _split(value: str | None) -> list[str]:
    """Split a comma-separated environment value into trimmed, non-empty parts."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _message_language(env: Mapping[str, str]) -> str:
    """The language of CLI output: the first set of LANGUAGE, LC_ALL, LC_MESSAGES, LANG."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            for entry in env[name].split(":"):
                language = entry.replace("-", "_").split("_")[0].split(".")[0].split("@")[0]
                if language.lower() in LANGUAGES:
                    return language.lower()
            return "en"
    return "en"


def user_data_folder(env: Mapping[str, str]) -> Path:
    """The per-user folder for application data: XDG on Linux, the usual places elsewhere."""
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    xdg = env.get("XDG_DATA_HOME") or ""
    # The XDG spec says a relative value is invalid and must be ignored.
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"


def instance_path(env: Mapping[str, str], package_dir: Path = PACKAGE_DIR) -> Path:
    """The one instance folder of every command, wherever it is run from: TRACKLOG_INSTANCE_PATH,
    else `instance/` of the checkout tracklog runs from, else the user's data folder."""
    if env.get("TRACKLOG_INSTANCE_PATH"):
        return Path(env["TRACKLOG_INSTANCE_PATH"]).expanduser().absolute()
    checkout = package_dir.parent.parent
    if package_dir.parent.name == "server" and (checkout / "setup.cfg").is_file():
        return checkout / "instance"
    return user_data_folder(env) / "tracklog"


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


class Config:
    """Settings of one tracklog process, read once from the environment."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.INSTANCE_PATH = str(instance_path(env))
        self.SQLALCHEMY_DATABASE_URI = env.get("TRACKLOG_DATABASE_URL") or None
        self.REDIS_URL = env.get("TRACKLOG_REDIS_URL") or None
        self.BASE_URL = (env.get("TRACKLOG_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.SECRET_KEY = env.get("TRACKLOG_SECRET_KEY") or None
        self.SECRET_KEY_FALLBACKS = _split(env.get("TRACKLOG_PREVIOUS_SECRET_KEYS"))
        self.BCC_DOMAIN = env.get("TRACKLOG_BCC_DOMAIN") or "bcc.localhost"
        self.SMTP_HOST = env.get("TRACKLOG_SMTP_HOST") or "127.0.0.1"
        self.SMTP_PORT = self._int(env, "TRACKLOG_SMTP_PORT", 2525)
        # The relay for tracklog's own mail to its users (invitations, address verification),
        # `host:port`; unset, the links are shown to whoever asked for them instead.
        self.OUTGOING_SMTP = env.get("TRACKLOG_OUTGOING_SMTP") or None
        self.PROXY_HOPS = self._int(env, "TRACKLOG_PROXY_HOPS", 0)
        self.ENTRA_CLIENT_ID = env.get("TRACKLOG_ENTRA_CLIENT_ID") or None
        self.ENTRA_CLIENT_SECRET = env.get("TRACKLOG_ENTRA_CLIENT_SECRET") or None
        self.ENTRA_TENANTS = _split(env.get("TRACKLOG_ENTRA_TENANTS"))
        self.ENTRA_AUTHORITY = (
            env.get("TRACKLOG_ENTRA_AUTHORITY") or "https://login.microsoftonline.com"
        ).rstrip("/")
        self.ENTRA_CA_BUNDLE = env.get("TRACKLOG_ENTRA_CA_BUNDLE") or None
        # CA certificates trusted for IMAP servers beside the system's (a private CA).
        self.IMAP_CA_BUNDLE = env.get("TRACKLOG_IMAP_CA_BUNDLE") or None
        # Microsoft Graph, where connected Microsoft 365 mailboxes are read (tests use a fake).
        self.GRAPH_URL = (
            env.get("TRACKLOG_GRAPH_URL") or "https://graph.microsoft.com/v1.0"
        ).rstrip("/")
        self.SESSION_COOKIE_SECURE = _flag(env.get("TRACKLOG_SECURE_COOKIES"), True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.MAX_CONTENT_LENGTH = self._int(env, "TRACKLOG_MAX_REQUEST_BYTES", 60 * 1024 * 1024)
        self.MAX_MAIL_BYTES = self._int(env, "TRACKLOG_MAX_MAIL_BYTES", 100 * 1024 * 1024)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.CLI_LOCALE = _message_language(env)
        self.WTF_CSRF_TIME_LIMIT = None
        self.PASSWORD_HASH_METHOD = "scrypt"
        self.OPEN_REPEAT_WINDOW_SECONDS = self._int(env, "TRACKLOG_OPEN_REPEAT_WINDOW", 180)
        self.ATTACHMENT_LINK_DAYS = self._int(env, "TRACKLOG_ATTACHMENT_LINK_DAYS", 30)
        self.ATTACHMENT_STORE = env.get("TRACKLOG_ATTACHMENT_STORE") or None
        # `tracklog serve` records hits in its own `tracklog record-hits` process ("process");
        # anywhere else (development, tests) a thread of the app records them ("thread").
        self.HIT_RECORDER_THREAD = env.get("TRACKLOG_HIT_RECORDER", "thread") != "process"
        # The children `tracklog serve` runs beside its workers (it sets this for them);
        # /healthz reports one that is down.
        self.SERVE_CHILDREN: tuple[str, ...] = ()
        self.LISTEN_TOKEN = env.get("TRACKLOG_TOKEN") or None
        # Webhooks go to https URLs on public addresses only; true allows http and local
        # addresses too (development and tests).
        self.WEBHOOK_ALLOW_HTTP = _flag(env.get("TRACKLOG_WEBHOOK_ALLOW_HTTP"), False)

    @staticmethod
    def _int(env: Mapping[str, str], name: str, default: int) -> int:
        """Read a whole-number environment value, naming the variable when it is not one."""
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None

    def as_flask_config(self) -> dict[str, object]:
        """The settings as the mapping Flask's config expects."""
        return {name: value for name, value in vars(self).items() if name.isupper()}


def sqlite_url_in(instance_path: str) -> str:
    """The default database: a SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'tracklog.db'}"


def load_or_create_secret_key(instance_path: str) -> str:
    """The instance's generated secret key, created with mode 0600 on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key
