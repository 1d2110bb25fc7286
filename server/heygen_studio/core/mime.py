"""MIME type detection from a file's first bytes (never from its name)."""

from __future__ import annotations

SNIFF_BYTES = 64

# What HeyGen's asset upload accepts.
SUPPORTED = {
    "image/png", "image/jpeg", "video/mp4", "video/webm", "audio/mpeg", "audio/wav", "application/pdf",
    "application/x-subrip",
}  # fmt: skip


def sniff(head: bytes) -> str | None:
    """The MIME type of content that starts with ``head``, or None if unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith((b"M4A", b"M4B")):
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"GIF87a") or head.startswith(b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1].isdigit() and b"-->" in head:
        return "application/x-subrip"
    return None
