"""What every tool module shares: app state, error mapping, annotations, input guards.

Error contract (the model must always be able to act): every anticipated failure becomes a
``ToolError`` whose text names the problem and one next step. ``HeyGenError`` subclasses carry
that text (``describe()``); pydantic validation errors are flattened to one line per field.
Anything else is a bug and stays a crash (the SDK hides its text and logs the traceback).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar
from urllib.parse import urlparse

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import ValidationError

from ..core.errors import HeyGenError, NotFoundError
from ..settings import Settings
from .outputs import Deleted
from .state import AppState

__all__ = ["AppState", "Context"]

P = ParamSpec("P")
R = TypeVar("R")

# Only hints that differ from the spec's defaults (destructive: true, idempotent: false, open world: true)
# are spelled out; the rest would be tokens that say nothing.
READ_ONLY = ToolAnnotations(read_only_hint=True)
PAID = ToolAnnotations(read_only_hint=False, destructive_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)  # say it anyway
LOCAL_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
LOCAL_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)

ID_RE = re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$")
SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")


Source = Literal["url", "path", "asset"]


def app(ctx: Context[AppState]) -> AppState:
    return ctx.request_context.lifespan_context


def classify_source(value: str, what: str = "The value", *, paths: bool = True) -> Source:
    """Whether a file argument is an http(s) URL, a local path or a HeyGen asset id.

    A path has a folder separator or a file extension; HeyGen asset ids have neither. A URL of any
    other scheme (ftp://, file://, s3://) is refused here rather than taken for a relative path.
    """
    scheme = SCHEME_RE.match(value)
    if scheme:
        if scheme.group(1).lower() in ("http", "https"):
            return "url"
        takes = "an http(s) URL, a local path or an asset id" if paths else "an http(s) URL or an asset id"
        raise ToolError(f"{what} {value.strip()[:60]!r} is a {scheme.group(1)}:// URL, which HeyGen cannot fetch: "
                        f"give {takes} (download the file first and upload it with upload_asset). "
                        "Nothing was sent or charged.")
    if "/" in value or "\\" in value or Path(value).suffix:
        return "path"
    return "asset"


def url_or_asset(value: str | None, what: str) -> tuple[str | None, str | None]:
    """Split a 'URL or asset id' argument into (url, asset_id), for fields that take either (not a local path:
    those fields are sent to HeyGen as they are, and a path there would be posted as an asset id)."""
    if not value:
        return None, None
    source = classify_source(value, what, paths=False)
    if source == "url":
        return check_url(value, what), None
    if source == "path":
        raise ToolError(f"{what} takes an http(s) URL or an asset id, not a local path: upload the file with "
                        f"upload_asset(path='{value[:80]}') and pass its asset_id. Nothing was sent or charged.")
    return None, check_id(value, what)


def not_blank(value: str | None, what: str) -> None:
    """Text that is only whitespace is refused here: HeyGen would take it (or refuse it after a paid check)."""
    if value is not None and not value.strip():
        raise ToolError(f"{what} is blank (only whitespace); write the text itself. Nothing was sent or charged.")


async def delete(remove: Awaitable[Any], item_id: str, missing: str) -> Deleted:
    """Run a DELETE; a 404 becomes ``missing`` (the model's next step) instead of an API error."""
    try:
        await remove
    except NotFoundError:
        raise ToolError(missing) from None
    return Deleted(id=item_id)


def format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("function-after",)) or "input"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "Invalid input: " + "; ".join(parts) + ". Fix it and call again; nothing was sent or charged."


def reports_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn anticipated failures into ToolErrors with a next step (signature kept for the SDK)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ToolError:
            raise
        except HeyGenError as exc:
            raise ToolError(exc.describe()) from None
        except ValidationError as exc:
            raise ToolError(format_validation(exc)) from None
        except OSError as exc:  # the local file system: a folder not writable, a disk full
            where = f" ({exc.filename})" if exc.filename else ""
            raise ToolError(f"Local file error: {exc.strerror or exc}{where}. Check that HEYGEN_OUTPUT_DIR is "
                            "writable and HEYGEN_ALLOWED_DIRS points at the right folders.") from None

    return wrapper


def check_id(value: str, what: str) -> str:
    value = value.strip()
    if not ID_RE.match(value):
        raise ToolError(f"{what} {value[:60]!r} is not a valid HeyGen id (letters, digits, _ - . : only).")
    return value


def check_url(url: str, what: str = "url", *, https_only: bool = False) -> str:
    parsed = urlparse(url.strip())
    schemes = ("https",) if https_only else ("http", "https")
    if parsed.scheme not in schemes or not parsed.netloc:
        need = "an https:// URL" if https_only else "an http(s):// URL"
        raise ToolError(f"{what} must be {need}; got {url[:80]!r}.")
    return url.strip()


def is_private_host(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved


def confine_input(settings: Settings, raw: str) -> Path:
    """Resolve a local path and make sure it is an existing file inside HEYGEN_ALLOWED_DIRS."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    path = path.resolve()
    allowed = settings.heygen_allowed_dirs
    if not any(path == root or root in path.parents for root in allowed):
        roots = ", ".join(str(r) for r in allowed)
        raise ToolError(f"{path} is outside the allowed folders ({roots}); move it there or add its folder "
                        "to HEYGEN_ALLOWED_DIRS.")
    if not path.is_file():
        near = sorted(p.name for p in path.parent.glob("*") if p.is_file())[:5] if path.parent.is_dir() else []
        hint = f" Files there: {', '.join(near)}." if near else ""
        raise ToolError(f"No file at {path}.{hint}")
    return path


def confine_output(settings: Settings, filename: str) -> Path:
    """A file name inside HEYGEN_OUTPUT_DIR (no folders, no traversal)."""
    name = Path(filename).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "video"
    out = settings.heygen_output_dir
    path = (out / name).resolve()
    if path.parent != out:
        raise ToolError(f"{filename!r} is not a plain file name inside the output folder.")
    return path
