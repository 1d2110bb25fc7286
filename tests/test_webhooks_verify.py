"""``core.webhooks`` (issue #8 §4): ``verify`` takes both signature forms seen in public verifiers and fixes
0.1's three bugs (an empty secret verified, a 5000-digit timestamp raised, a replay verified again); the
file that keeps the secrets of this server's own endpoints is the user's own."""

from __future__ import annotations

import hashlib
import hmac
import stat
import time
import uuid
from pathlib import Path

from heygen_studio.core.webhooks import SecretBook, verify

SECRET = "whsec_test_0123456789abcdef"
BODY = b'{"event_type":"avatar_video.success","event_data":{"video_id":"v1","callback_id":null}}'


def body_form(secret: str, body: bytes = BODY) -> str:
    """What the public verifiers check: lowercase hex HMAC-SHA256(secret, raw body)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def v1_form(secret: str, stamp: str, body: bytes = BODY) -> str:
    return "v1=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def headers(signature: str, stamp: str | None = None, event_id: str | None = None) -> dict[str, str]:
    return {"Heygen-Event-Id": event_id or f"evt_{uuid.uuid4().hex}",
            "Heygen-Timestamp": stamp or str(int(time.time())), "Heygen-Signature": signature}


def fresh_body() -> bytes:
    return BODY.replace(b'"v1"', f'"{uuid.uuid4().hex}"'.encode())


def test_both_signature_forms_verify() -> None:
    stamp = str(int(time.time()))
    body = fresh_body()
    assert verify(SECRET, headers(body_form(SECRET, body), stamp), body)
    body = fresh_body()
    assert verify(SECRET, headers(v1_form(SECRET, stamp, body), stamp), body)
    body = fresh_body()
    assert verify(SECRET, headers(f"v1=deadbeef, {v1_form(SECRET, stamp, body)}", stamp), body)  # several (rotation)
    body = fresh_body()
    assert verify(SECRET, headers(body_form(SECRET, body).upper(), stamp), body)  # hex is hex


def test_wrong_secret_tampered_body_unsigned_and_stale_are_refused() -> None:
    stamp = str(int(time.time()))
    assert not verify(SECRET, headers(body_form("whsec_other"), stamp), BODY)
    assert not verify(SECRET, headers(body_form(SECRET), stamp), BODY.replace(b"success", b"fail"))
    assert not verify(SECRET, headers("", stamp), BODY)
    assert not verify(SECRET, {"Heygen-Timestamp": stamp, "Heygen-Event-Id": "evt_x"}, BODY)
    assert not verify(SECRET, headers(v1_form(SECRET, stamp), stamp), BODY, now=time.time() + 301)
    assert not verify(SECRET, headers(body_form(SECRET), stamp), BODY, now=time.time() + 301)
    assert not verify(SECRET, headers(body_form(SECRET), stamp), BODY, now=time.time() - 301)
    # the v1 form signs the timestamp: a fresh timestamp on an old signature does not verify
    assert not verify(SECRET, headers(v1_form(SECRET, str(int(stamp) - 1000)), stamp), BODY)


def test_a_signature_made_with_an_empty_secret_is_refused() -> None:
    """0.1 bug: ``verify("", …)`` accepted a delivery signed with the empty key (anyone can make one)."""
    stamp = str(int(time.time()))
    for blank in ("", " ", "\n"):
        assert not verify(blank, headers(v1_form(blank, stamp), stamp), BODY)
        assert not verify(blank, headers(body_form(blank), stamp), BODY)


def test_a_giant_timestamp_is_invalid_not_an_exception() -> None:
    """0.1 bug: ``int()`` of a 5000-digit timestamp raised ValueError (Python's 4300-digit limit)."""
    for stamp in ("9" * 5000, "1" * 20, "١٧٠٠٠٠٠٠٠٠", "-1", "1e9", " ", "1700000000.5"):
        assert verify(SECRET, headers(v1_form(SECRET, stamp), stamp), BODY) is False


def test_a_replay_inside_the_window_is_refused() -> None:
    """0.1 bug: verify kept no memory of event ids; the same delivery verified again and again."""
    stamp = str(int(time.time()))
    body = fresh_body()
    delivery = headers(v1_form(SECRET, stamp, body), stamp, event_id=f"evt_{uuid.uuid4().hex}")
    assert verify(SECRET, delivery, body)
    assert not verify(SECRET, delivery, body)
    body = fresh_body()
    delivery = headers(body_form(SECRET, body), stamp, event_id=f"evt_{uuid.uuid4().hex}")
    assert verify(SECRET, delivery, body)
    assert not verify(SECRET, delivery, body)
    # the body form signs neither timestamp nor event id: the same signed bytes under new headers are a replay too
    assert not verify(SECRET, {**delivery, "Heygen-Event-Id": f"evt_{uuid.uuid4().hex}",
                               "Heygen-Timestamp": str(int(time.time()) + 1)}, body)


def test_a_delivery_without_an_event_id_cannot_be_deduplicated_and_is_refused() -> None:
    stamp = str(int(time.time()))
    assert not verify(SECRET, {"Heygen-Timestamp": stamp, "Heygen-Signature": body_form(SECRET)}, BODY)


def test_kept_secrets_are_the_users_own_file_and_never_written_through_a_link(tmp_path: Path) -> None:
    book_path = tmp_path / "state" / "webhook-secrets.json"
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    book_path.parent.mkdir()
    book_path.symlink_to(outside)
    book = SecretBook(book_path)
    assert book.secrets() == []  # a planted link is not read
    book.add("we_1", "https://studio.example.com/webhooks/heygen", SECRET)
    assert outside.read_text() == "not yours" and not book_path.is_symlink()
    assert stat.S_IMODE(book_path.stat().st_mode) == 0o600
    assert book.secrets() == [SECRET]
    book.add("we_2", "https://studio.example.com/webhooks/heygen", "whsec_second")
    assert book.remove("we_1") and not book.remove("we_1")
    assert book.secrets() == ["whsec_second"]
