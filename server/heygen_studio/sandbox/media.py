"""Media the sandbox serves: presigned URLs (``expires`` + HMAC ``signature``), sample files,
small generated files (SRT/VTT/GIF/PDF), MIME sniffing from magic numbers, and ``Range`` support."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache
from importlib import resources
from urllib.parse import quote

from starlette.responses import PlainTextResponse, Response

# A 1x1 transparent GIF and a minimal one-page PDF (hand-written bytes, not copied from anywhere).
TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".pdf": "application/pdf",
}

EXTENSIONS = {
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "application/pdf": ".pdf",
    "application/x-subrip": ".srt",
}


@cache
def sample(name: str) -> bytes:
    """One of the bundled sample files: ``sample.mp4``, ``sample.jpg``, ``sample.mp3``."""
    return resources.files(__package__).joinpath("media", name).read_bytes()


def sample_for_extension(ext: str) -> bytes:
    ext = ext.lower()
    if ext in (".mp4", ".webm", ".mov"):
        return sample("sample.mp4")
    if ext in (".jpg", ".jpeg", ".png", ".webp"):
        return sample("sample.jpg")
    if ext in (".mp3", ".wav", ".ogg"):
        return sample("sample.mp3")
    if ext == ".gif":
        return TINY_GIF
    if ext == ".pdf":
        return TINY_PDF
    return b""


_SRT_LINE = re.compile(r"(?<=[.!?])\s+")


def _chunks(text: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text or "").strip()
    parts = [p.strip() for p in _SRT_LINE.split(text) if p.strip()]
    return parts or ["(no speech)"]


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def subtitles(text: str, duration: float, *, vtt: bool = False) -> bytes:
    lines = _chunks(text)
    step = max(duration, 1.0) / len(lines)
    out = ["WEBVTT", ""] if vtt else []
    for i, line in enumerate(lines):
        start, end = i * step, (i + 1) * step
        sep = "." if vtt else ","
        if not vtt:
            out.append(str(i + 1))
        out.append(f"{_stamp(start, sep)} --> {_stamp(end, sep)}")
        out.append(line)
        out.append("")
    return "\n".join(out).encode()


def captions(cues: list[tuple[float, float, str]], duration: float, *, vtt: bool = False) -> bytes:
    """SRT (or WebVTT) of timed ``(start, end, text)`` cues; one "(no speech)" cue over ``duration`` when
    there are none."""
    cues = cues or [(0.0, max(duration, 1.0), "(no speech)")]
    sep = "." if vtt else ","
    out = ["WEBVTT", ""] if vtt else []
    for i, (start, end, text) in enumerate(cues):
        if not vtt:
            out.append(str(i + 1))
        out += [f"{_stamp(start, sep)} --> {_stamp(end, sep)}", text, ""]
    return "\n".join(out).encode()


def sniff_mime(head: bytes) -> str | None:
    """MIME type from the first bytes of a file (magic numbers), ``None`` when unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if re.match(rb"\d+\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{3}\s*-->", text):
        return "application/x-subrip"
    return None


# -- signing ---------------------------------------------------------------------------------------
class Signer:
    """HMAC-SHA256 over ``"<path>\\n<expires>"``. ``rotate()`` retires every URL issued so far.

    An ``account``'s signer (per-key accounts: accounts.py) has keys of its own and names the account in its
    URLs (``?account=…``), so a URL reaches the account that issued it and no other."""

    def __init__(self, name: str, account: str | None = None) -> None:
        self.name = name if account is None else f"{name}:{account}"
        self._query = "" if account is None else f"account={account}&"
        self.epoch = 0
        self._retired: list[bytes] = []

    def _key(self, epoch: int) -> bytes:
        return hashlib.sha256(f"heygen-sandbox:{self.name}:{epoch}".encode()).digest()

    def signature(self, path: str, expires: int, key: bytes | None = None) -> str:
        key = key or self._key(self.epoch)
        return hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, base_url: str, path: str, expires: int) -> str:
        quoted = quote(path)
        return f"{base_url}{quoted}?{self._query}expires={expires}&signature={self.signature(path, expires)}"

    def rotate(self) -> None:
        self._retired.append(self._key(self.epoch))
        self.epoch += 1

    def check(self, path: str, expires: str | None, signature: str | None, now: float) -> str | None:
        """``None`` when the URL is valid, else the reason it is refused."""
        if not expires or not signature:
            return "Missing expires or signature query parameter."
        try:
            when = int(expires)
        except ValueError:
            return "Malformed expires query parameter."
        if hmac.compare_digest(self.signature(path, when), signature):
            if now > when:
                return "Request has expired."
            return None
        for key in self._retired:
            if hmac.compare_digest(self.signature(path, when, key), signature):
                return "Request has expired."
        return "The request signature we calculated does not match the signature you provided."


def forbidden(reason: str) -> Response:
    return PlainTextResponse(f"403 Forbidden: {reason}\n", status_code=403)


# -- serving with Range ----------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def serve_bytes(data: bytes, content_type: str, range_header: str | None, *, head: bool = False) -> Response:
    """Serve ``data`` whole (200) or one byte range (206 + Content-Range); 416 when unsatisfiable."""
    total = len(data)
    etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, max-age=3600"}
    match = _RANGE.match(range_header) if range_header else None
    if range_header and match and (match.group(1) or match.group(2)):
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), total - 1) if last else total - 1
        else:  # suffix range: the last N bytes
            length = int(last)
            start, end = max(0, total - length), total - 1
        if start >= total or end < start:
            return Response(
                b"", status_code=416, headers={"Content-Range": f"bytes */{total}", "Accept-Ranges": "bytes"}
            )
        chunk = data[start : end + 1]
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        headers["Content-Length"] = str(len(chunk))
        return Response(b"" if head else chunk, status_code=206, media_type=content_type, headers=headers)
    headers["Content-Length"] = str(total)
    return Response(b"" if head else data, status_code=200, media_type=content_type, headers=headers)
