"""Settings from environment variables and ``.env``, read at start-up (never at import).

Public names: HEYGEN_API_KEY, HEYGEN_BASE_URL, HEYGEN_SANDBOX, HEYGEN_SANDBOX_ACCOUNTS, HEYGEN_OUTPUT_DIR,
HEYGEN_ALLOWED_DIRS, HEYGEN_ALLOW_PRIVATE_URLS, HEYGEN_ALLOWED_URL_HOSTS, HEYGEN_FETCH_TIMEOUT,
HEYGEN_STATE_DIR, HEYGEN_STORE_URL, HEYGEN_TIMEOUT, HEYGEN_MAX_RETRIES, HEYGEN_HTTP_TOKEN, HEYGEN_HTTP_ALLOWED_HOSTS,
HEYGEN_HTTP_IDLE_S, HEYGEN_HTTP_HEADERS_S, HEYGEN_HTTP_BODY_S, HEYGEN_PUBLIC_URL, HEYGEN_OAUTH_ISSUER,
HEYGEN_RATE_LIMIT, HEYGEN_WEBHOOK_SECRET, HEYGEN_SECRET_KEY, HEYGEN_TOOLSETS, HEYGEN_MAX_CREDITS,
HEYGEN_DAILY_CREDITS, HEYGEN_CONFIRM_ABOVE, DEEPSEEK_API_KEY, DEEPSEEK_BASE_URL, DEEPSEEK_MODEL. Secrets are
``SecretStr``: their repr is masked, so a settings dump or a traceback never shows them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .core.errors import DEFAULT_BASE_URL, KEY_PLACEHOLDER
from .http_token import token_problem
from .tools import toolsets

DEFAULT_DEEPSEEK_BASE_URL = "https://api.deepseek.com"
DEFAULT_DEEPSEEK_MODEL = "deepseek-chat"
SANDBOX_API_KEY = "sandbox-key"


class SettingsError(ValueError):
    """A bad configuration value; ``str()`` is one line naming the variable."""


def public_url(value: str) -> str:
    """``HEYGEN_PUBLIC_URL`` (or ``serve --public-url``) checked and without a trailing slash; ``ValueError`` says
    what it must be."""
    from urllib.parse import urlsplit

    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("must be the http(s) address clients (and HeyGen) reach this server at, "
                         "e.g. https://studio.example.com or http://my-box.local:8000")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("contains whitespace or control characters; remove them")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False, frozen=True
    )

    heygen_api_key: SecretStr | None = Field(default=None, description="HeyGen API key.")
    heygen_base_url: str = Field(default=DEFAULT_BASE_URL, description="HeyGen API base URL.")
    heygen_sandbox: bool = Field(default=False, description="1 = use the embedded offline sandbox.")
    heygen_output_dir: Path = Field(default=Path("heygen-output"), description="Where downloads go.")
    heygen_state_dir: Path | None = Field(
        default=None, description="Where the job store lives (default: the platform's per-user state folder).")
    heygen_store_url: SecretStr | None = Field(
        default=None, description="postgresql://user:password@host:5432/database: keep the job store (jobs, claims, "
        "daily spend, people, OAuth grants, webhook event ids) in PostgreSQL, shared by every replica; unset = the "
        "SQLite file in the state folder.")
    heygen_allowed_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Folders the server may read files from (os.pathsep-separated), "
        "besides the output folder and the roots the MCP client declares."
    )
    heygen_allow_private_urls: bool = Field(
        default=False, description="1 = upload_asset(url=...) may fetch loopback, private and link-local addresses.")
    heygen_allowed_url_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="host:port pairs upload_asset(url=...) may fetch even when they resolve "
        "to a private address (comma-separated), e.g. an internal media server.")
    heygen_fetch_timeout: float = Field(
        default=120.0, gt=0, le=3600, description="Overall deadline for one URL fetch (every redirect and byte), s.")
    heygen_timeout: float = Field(default=60.0, gt=0, le=600, description="Per-request timeout, seconds.")
    heygen_max_retries: int = Field(default=3, ge=0, le=10, description="Retries for safe requests.")
    heygen_poll_interval: float = Field(default=5.0, gt=0, le=60, description="First wait_for_job poll gap, s.")
    heygen_sandbox_render_s: float = Field(default=6.0, gt=0, le=600, description="Sandbox render time, s.")
    heygen_sandbox_concurrency: int = Field(
        default=10, ge=1, le=1000, description="Video jobs the embedded sandbox runs at once (HeyGen's limit; "
        "more get 429 with Retry-After).")
    heygen_sandbox_accounts: Literal["shared", "per-key"] = Field(
        default="shared", description="The embedded sandbox's accounts: shared = one for every key; per-key = each "
        "HeyGen key its own account (wallet, videos, assets, webhooks), for a team server whose people use their own.")
    heygen_concurrency: int = Field(
        default=10, ge=1, le=1000, description="Video jobs HeyGen runs at once for this account (Pay-As-You-Go 10, "
        "Enterprise 20+): produce_videos queues the rest and sends them as slots free.")
    heygen_http_token: SecretStr | None = Field(
        default=None, description="Bearer token HTTP clients must send (default: one kept in the state folder).")
    heygen_http_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra Host header values (host or host:port) HTTP mode accepts.")
    heygen_http_idle_s: float = Field(default=1800.0, gt=0, le=86400, description="Idle HTTP sessions expire, s.")
    heygen_http_headers_s: float = Field(
        default=10.0, gt=0, le=600, description="HTTP mode: deadline for a request's headers, s (then 408, closed).")
    heygen_http_body_s: float = Field(
        default=30.0, gt=0, le=3600, description="HTTP mode: deadline for a request's whole body, s (then 408).")
    heygen_public_url: str | None = Field(
        default=None, description="Where HeyGen reaches this server's HTTP mode (https://…); add_webhook(url='self').")
    heygen_rate_limit: int = Field(
        default=120, ge=0, le=100_000, description="Team mode over HTTP: requests a minute each person may make "
        "(a burst of as many; beyond it 429 with Retry-After); 0 = no limit.")
    heygen_oauth_issuer: str | None = Field(
        default=None, description="An existing OpenID Connect issuer whose access tokens HTTP mode checks, exactly as "
        "its tokens' iss claim spells it (trailing slash included): https://…, or http:// on a loopback host.")
    heygen_webhook_secret: SecretStr | None = Field(
        default=None, description="whsec_ secret of the endpoint that posts to /webhooks/heygen.")
    heygen_secret_key: SecretStr | None = Field(
        default=None, description="Fernet key (32 url-safe base64 bytes) that encrypts the HeyGen keys of a team "
        "server's people in the job store (`heygen-studio tokens add --heygen-key-stdin`); keep it: they need it.")
    heygen_toolsets: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(toolsets.DEFAULT,), description="Toolsets to list (comma-separated set names, or all); "
        "default is always included.")
    heygen_max_credits: float | None = Field(
        default=None, gt=0, description="Refuse any paid call whose estimate exceeds this many US dollars (per call).")
    heygen_daily_credits: float | None = Field(
        default=None, gt=0, description="The most (US dollars) paid calls may reserve in any 24 h, across every "
        "process of this account; checked in the job store before paying.")
    heygen_confirm_above: float | None = Field(
        default=10.0, ge=0, description="Ask the person to confirm (elicitation) a paid call estimated above this "
        "many US dollars, when the client can ask; empty = never ask.")
    deepseek_api_key: SecretStr | None = Field(default=None, description="DeepSeek (OpenAI-compatible) key.")
    deepseek_base_url: str = Field(default=DEFAULT_DEEPSEEK_BASE_URL)
    deepseek_model: str = Field(default=DEFAULT_DEEPSEEK_MODEL, min_length=1)

    @field_validator("heygen_api_key", "deepseek_api_key", "heygen_http_token", "heygen_webhook_secret",
                     "heygen_secret_key", "heygen_store_url", "heygen_public_url", "heygen_oauth_issuer",
                     "heygen_max_credits", "heygen_daily_credits", "heygen_confirm_above", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("heygen_api_key", "deepseek_api_key", "heygen_webhook_secret")
    @classmethod
    def _plain_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """A key with a stray newline or space would be sent, fail, and be echoed: refuse it at start-up."""
        if value is not None and any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127
                                     for ch in value.get_secret_value()):
            raise ValueError("contains whitespace or control characters (a stray newline?); remove them")
        return value

    @field_validator("heygen_http_token")
    @classmethod
    def _http_token(cls, value: SecretStr | None) -> SecretStr | None:
        """The rule ``--token`` follows too (``http_token.token_problem``)."""
        problem = None if value is None else token_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("heygen_secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A Fernet key exactly as ``Fernet.generate_key()`` prints it (``core.people.secret_key_problem``)."""
        if value is None:
            return None
        from .core.people import secret_key_problem  # only when it is set: it loads cryptography

        problem = secret_key_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("heygen_store_url")
    @classmethod
    def _store_url(cls, value: SecretStr | None) -> SecretStr | None:
        """A PostgreSQL URL (it may hold a password: never echoed)."""
        if value is None:
            return None
        from .core.backends import SCHEMES

        url = value.get_secret_value().strip()
        if not url.startswith(SCHEMES):
            raise ValueError("must be a PostgreSQL URL, postgresql://user:password@host:5432/database (unset it "
                             "for the SQLite file in the state folder)")
        if any(ch.isspace() or ord(ch) < 32 for ch in url):
            raise ValueError("contains whitespace or control characters; remove them")
        return SecretStr(url)

    @field_validator("heygen_base_url", "deepseek_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("heygen_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else public_url(value)

    @field_validator("heygen_oauth_issuer")
    @classmethod
    def _oauth_issuer(cls, value: str | None) -> str | None:
        """Kept as written (the issuer is compared byte for byte), only the surrounding blanks dropped."""
        if value is None:
            return None
        from .core.issuer import issuer_url_problem  # only when set: it imports PyJWT, which start-up need not

        value = value.strip()
        problem = issuer_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("heygen_allowed_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("heygen_toolsets", mode="before")
    @classmethod
    def _toolsets(cls, value: Any) -> Any:
        """Set names in the docs' order, ``default`` among them; an unknown name is refused with the valid ones."""
        if isinstance(value, str | list | tuple | set | frozenset):
            enabled = toolsets.parse(value if isinstance(value, str) else [str(v) for v in value])
            return tuple(name for name in toolsets.SETS if name in enabled)
        return value

    @field_validator("heygen_http_allowed_hosts", "heygen_allowed_url_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("heygen_allowed_url_hosts")
    @classmethod
    def _host_and_port(cls, value: list[str]) -> list[str]:
        """Each entry names one service exactly (``media.internal:8080``): a bare name would trust every port."""
        pairs = []
        for entry in value:
            host, sep, port = entry.rpartition(":")
            host = host.strip("[]").lower()  # [::1]:8080 is matched as the URL's hostname, ::1
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{entry!r} must be host:port (for example media.internal:443)")
            pairs.append(f"{host}:{int(port)}")
        return pairs

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        # The default is the output folder alone (plus the client's roots, asked for at the call): never the
        # working folder, which a desktop host may set to / or the home folder (issue 8 §2 "Local files").
        output = self.heygen_output_dir.expanduser().resolve()
        allowed = [p.expanduser().resolve() for p in self.heygen_allowed_dirs]
        if output not in allowed:
            allowed.append(output)
        object.__setattr__(self, "heygen_output_dir", output)
        object.__setattr__(self, "heygen_allowed_dirs", allowed)
        return self

    # -- derived -------------------------------------------------------------------------------
    @property
    def api_key(self) -> str | None:
        """The key to send: the sandbox's own when HEYGEN_SANDBOX=1 and no key is set."""
        key = self.heygen_api_key.get_secret_value() if self.heygen_api_key is not None else None
        if self.heygen_sandbox and key in (None, KEY_PLACEHOLDER):  # the sandbox takes no key: a placeholder is none
            return SANDBOX_API_KEY
        return key

    @property
    def store_path(self) -> Path:
        """The job store: one per user, shared by every server process whatever its output folder."""
        if self.heygen_state_dir is not None:
            return self.heygen_state_dir.expanduser().resolve() / "jobs.sqlite3"
        import platformdirs  # only the store needs it; settings load on every start

        return platformdirs.user_state_path("heygen-studio") / "jobs.sqlite3"

    @property
    def store_url(self) -> str | None:
        """HEYGEN_STORE_URL in clear (``core.backends.open_store``): None = the SQLite file at ``store_path``."""
        return self.heygen_store_url.get_secret_value() if self.heygen_store_url is not None else None

    @property
    def webhook_secrets_path(self) -> Path:
        """Secrets of the endpoints ``add_webhook(url='self')`` registered: beside the job store, 0600."""
        return self.store_path.parent / "webhook-secrets.json"

    @property
    def webhook_url(self) -> str | None:
        """This server's own webhook receiver, as HeyGen reaches it (None without HEYGEN_PUBLIC_URL)."""
        return f"{self.heygen_public_url}/webhooks/heygen" if self.heygen_public_url else None

    @property
    def scratch_dir(self) -> Path:
        """Temporary files (a fetched upload) live inside the output folder, on the same disk."""
        return self.heygen_output_dir / ".heygen-studio"

    @property
    def legacy_journal(self) -> Path:
        """Where 0.1 kept its JSON-lines job journal; imported into the job store once."""
        return self.scratch_dir / "jobs.jsonl"


def load_settings(**overrides: Any) -> Settings:
    """Read settings now; raise ``SettingsError`` with one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err.get("loc") else "settings"
            parts.append(f"{name}: {str(err['msg']).removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration: " + "; ".join(parts)) from None
