"""Webhook deliveries signed under the header names third-party receivers report (issue #14 §2): besides the
contract's ``Heygen-Signature``, ``X-HeyGen-Signature`` and ``Signature`` are read too. Only the name varies:
the HMAC, the timestamp window, the event id and replay checks stay as strict. Real HTTP requests to the
HTTP-mode server's ``/webhooks/heygen`` on a loopback port.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest

from contract import ContractTransport
from heygen_studio.core.webhooks import sign_v1
from test_webhooks_receiver import SECRET, api_settings, event, served, signed

pytestmark = pytest.mark.anyio


def renamed(headers: dict[str, str], name: str) -> dict[str, str]:
    """The same delivery with its signature under another header name."""
    out = {k: v for k, v in headers.items() if k != "Heygen-Signature"}
    out[name] = headers["Heygen-Signature"]
    return out


async def test_the_signature_is_read_under_the_names_receivers_report_and_checked_as_strictly(
        tmp_path: Path, wire: ContractTransport) -> None:
    async with served(api_settings(tmp_path), wire) as (url, _server, _client), \
            httpx2.AsyncClient(timeout=10) as http:

        async def post(body: bytes, headers: dict[str, str]) -> httpx2.Response:
            return await http.post(f"{url}/webhooks/heygen", content=body, headers=headers)

        for n, name in enumerate(("X-HeyGen-Signature", "x-heygen-signature", "Signature")):
            body = event(f"v_alias_{n}")
            answer = await post(body, renamed(signed(body), name))
            assert answer.status_code == 200, (name, answer.text)
            assert answer.json()["job_id"] == f"video:v_alias_{n}"
        body, stamp = event("v_alias_v1"), str(int(time.time()))  # the v1 form is read there too
        v1 = {**signed(body, stamp=stamp), "Heygen-Signature": sign_v1(SECRET, stamp, body)}
        assert (await post(body, renamed(v1, "Signature"))).status_code == 200

        body = event("v_refused")
        good = signed(body)
        refused = {
            "wrong secret": renamed(signed(body, secret="whsec_someone_else_0123456789"), "X-HeyGen-Signature"),
            "stale": renamed(signed(body, stamp=int(time.time()) - 900), "X-HeyGen-Signature"),
            "no event id": {k: v for k, v in renamed(good, "Signature").items() if k != "Heygen-Event-Id"},
            "no timestamp": {k: v for k, v in renamed(good, "Signature").items() if k != "Heygen-Timestamp"},
            # the contract's header, when sent, is the one checked: a right alias does not rescue a wrong one
            "wrong canonical, right alias": {**signed(body, secret="whsec_someone_else_0123456789"),
                                             "X-HeyGen-Signature": good["Heygen-Signature"]},
            "tampered body": renamed(signed(event("v_other")), "Signature"),
        }
        for case, headers in refused.items():
            answer = await post(body, headers)
            assert 400 <= answer.status_code < 500, (case, answer.status_code, answer.text)
            assert SECRET not in answer.text
        unsigned = await post(body, {k: v for k, v in good.items() if k != "Heygen-Signature"})
        assert unsigned.status_code == 401 and "X-HeyGen-Signature" in unsigned.json()["error"]
        assert (await post(body, renamed(good, "Signature"))).status_code == 200  # none of the above burnt it
        assert (await post(body, renamed(good, "X-HeyGen-Signature"))).status_code == 409  # a replay, any name
