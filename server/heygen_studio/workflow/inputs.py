"""Checks of what a call asks for, before anything is sent: ids, URLs, file arguments, output names.

Every input is hostile (an agent may have read it on any page): each check refuses with a ``Refused`` that
says what to give instead, and nothing was sent or charged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from ..core.files import LocalFile, open_inside
from ..core.models import MAX_UPLOAD_BYTES
from .errors import Refused

if TYPE_CHECKING:
    from .tenant import Tenant

ID_RE = re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$")
SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")


Source = Literal["url", "path", "asset"]


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
        raise Refused(f"{what} {value.strip()[:60]!r} is a {scheme.group(1)}:// URL, which HeyGen cannot fetch: "
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
        raise Refused(f"{what} takes an http(s) URL or an asset id, not a local path: upload the file with "
                        f"upload_asset(path='{value[:80]}') and pass its asset_id. Nothing was sent or charged.")
    return None, check_id(value, what)


def not_blank(value: str | None, what: str) -> None:
    """Text that is only whitespace is refused here: HeyGen would take it (or refuse it after a paid check)."""
    if value is not None and not value.strip():
        raise Refused(f"{what} is blank (only whitespace); write the text itself. Nothing was sent or charged.")


def check_id(value: str, what: str) -> str:
    value = value.strip()
    if not ID_RE.match(value) or not value.strip("."):  # "." and ".." are path steps in a URL, not ids
        raise Refused(f"{what} {value[:60]!r} is not a valid HeyGen id (letters, digits, _ - . : only).")
    return value


def check_url(url: str, what: str = "url", *, https_only: bool = False) -> str:
    parsed = urlparse(url.strip())
    schemes = ("https",) if https_only else ("http", "https")
    if parsed.scheme not in schemes or not parsed.netloc:
        need = "an https:// URL" if https_only else "an http(s):// URL"
        raise Refused(f"{what} must be {need}; got {url[:80]!r}.")
    return url.strip()


def confine_output(output_dir: Path, filename: str) -> Path:
    """A plain file name directly inside ``output_dir`` (``Tenant.output_dir``: on a team server the person's own
    folder): no folders, no traversal, no link followed.

    The name is not resolved: whatever sits under it now (a link, say) is replaced by the download's
    rename, never written through (``core.transfer.download``).
    """
    name = Path(filename).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "video"
    return output_dir / name


def confine_input(tenant: Tenant, raw: str) -> LocalFile:
    """Open a local file for reading if it is a regular file inside the folders this person may read
    (``Tenant.allowed_folders``; ``core.files.open_inside``: no traversal, no link out). The caller closes it
    (``with confine_input(...) as file:``); every read goes through it."""

    return open_inside(raw, tenant.allowed_folders, max_bytes=MAX_UPLOAD_BYTES)
