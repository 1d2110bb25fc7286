"""The built-in authorization server's login page: ``GET /oauth/login?request=…`` shows a form (plain HTML, no
script) that asks the person for their personal token, once; ``POST /oauth/login`` checks it.

A token of a person (not revoked) completes the sign-in: an authorization code bound to that person, and a
redirect (303) to the client's registered ``redirect_uri`` with ``code`` and ``state``. A wrong token shows the
form again with what to do; wrong tokens from one address are limited (``FAILURES_PER_MINUTE``, then 429 with
``Retry-After``). The page names the client and the host it returns to (the MCP spec asks the consent screen to
show the redirect host), escapes everything it shows, may not be framed, and is never cached.
"""

from __future__ import annotations

import html
import json
import logging
import re
from urllib.parse import urlsplit

from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..core.grants import OAuthGrants, SignIn
from ..core.people import TOKEN_PREFIX, People
from ..core.ratelimit import TokenBuckets, retry_after

logger = logging.getLogger(__name__)

FAILURES_PER_MINUTE = 5  # wrong tokens one address may send a minute (in a burst of as many)
MAX_FIELD = 4096  # a token or request id longer than this is not one
WRONG = ("That is not the personal token of anyone on this server (or it was revoked). Paste the token the "
         f"server's owner gave you: it starts with {TOKEN_PREFIX}. The owner makes one with "
         "'heygen-studio tokens add <your name>'.")
EXPIRED = ("This sign-in link has expired or was used already (links last 15 minutes and work once). Go back to "
           "your app and connect to the server again: it opens a new one.")
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[A-Za-z0-9.:\[\]-]+")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>Sign in to HeyGen Studio</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}}
h1{{font-size:1.4rem}} .who{{background:#f3f3f7;border-radius:.5rem;padding:.75rem 1rem}}
label{{display:block;margin-top:1.25rem;font-weight:600}}
input[type=password]{{width:100%;box-sizing:border-box;padding:.6rem;font:inherit;margin-top:.35rem}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}}
.error{{color:#a4001d;background:#fdecef;border-radius:.5rem;padding:.75rem 1rem}} small{{color:#555}}
</style></head><body>
<h1>Sign in to HeyGen Studio</h1>
{body}
</body></html>
"""


def _page(body: str, status: int, *, form_to: str | None = None, headers: dict[str, str] | None = None
          ) -> HTMLResponse:
    # No script, no framing, nothing cached, no referrer for other sites ("same-origin", not "no-referrer": under
    # that, Chromium sends the form's POST with "Origin: null", which the gate refuses). A form's redirect is
    # checked against form-action too (Chromium), so the client's origin is allowed as the place the sign-in ends.
    origin = ""
    if form_to is not None:
        parts = urlsplit(form_to)
        candidate = f"{parts.scheme}://{parts.netloc}"
        origin = f" {candidate}" if _ORIGIN.fullmatch(candidate) else ""
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{origin}; frame-ancestors 'none'; "
              "base-uri 'none'")
    return HTMLResponse(PAGE.format(body=body), status_code=status, headers={
        "Content-Security-Policy": policy, "X-Frame-Options": "DENY", "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff", **(headers or {})})


def _field(value: object) -> str:
    return value.strip() if isinstance(value, str) and len(value) <= MAX_FIELD else ""


class LoginPage:
    """``GET`` and ``POST`` ``/oauth/login``: ``handle`` is the Starlette endpoint."""

    def __init__(self, grants: OAuthGrants, people: People, *,
                 failures_per_minute: float = FAILURES_PER_MINUTE) -> None:
        self.grants = grants
        self.people = people
        self.failures = TokenBuckets(failures_per_minute)

    async def handle(self, request: Request) -> Response:
        if request.method == "POST":
            return await self._submit(request)
        request_id = _field(request.query_params.get("request"))
        sign_in = self.grants.sign_in(request_id) if request_id else None
        if sign_in is None:
            return self._expired()
        return self._form(request_id, sign_in, error=None, status=200)

    async def _submit(self, request: Request) -> Response:
        address = request.client.host if request.client else "unknown"
        wait = self.failures.wait(address)
        if wait is not None:
            seconds = retry_after(wait)
            return _page(f'<p class="error">Too many wrong tokens from this address. Wait {seconds} seconds, then '
                         'go back and try again with the personal token the server\'s owner gave you.</p>', 429,
                         headers={"Retry-After": str(seconds)})
        form = await request.form()
        request_id, token = _field(form.get("request")), _field(form.get("token"))
        sign_in = self.grants.sign_in(request_id) if request_id else None
        if sign_in is None:
            return self._expired()
        person = self.people.by_token(token) if token else None
        if person is None:
            self.failures.take(address)
            logger.info("sign-in refused: a wrong personal token from %s", address)
            return self._form(request_id, sign_in, error=WRONG, status=403)
        done = self.grants.complete(request_id, person.id)
        if done is None:
            return self._expired()
        sign_in, code = done
        logger.info("%s signed in (client %s)", person.name, sign_in.client_id)
        target = construct_redirect_uri(sign_in.redirect_uri, code=code, state=sign_in.state)
        response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store",
                                                                      "Referrer-Policy": "no-referrer"})
        return response

    def _client_name(self, client_id: str) -> str:
        info = self.grants.client(client_id)
        name = json.loads(info).get("client_name") if info else None
        return name if isinstance(name, str) and name.strip() else "An app"

    def _form(self, request_id: str, sign_in: SignIn, *, error: str | None, status: int) -> HTMLResponse:
        esc = html.escape
        host = urlsplit(sign_in.redirect_uri).hostname or sign_in.redirect_uri
        problem = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
        body = f"""<p class="who"><strong>{esc(self._client_name(sign_in.client_id)[:200])}</strong> asks to use
HeyGen Studio as you. After you sign in it returns to <strong>{esc(host)}</strong>.</p>
{problem}
<form method="post" action="login">
<input type="hidden" name="request" value="{esc(request_id)}">
<label for="token">Your personal token</label>
<input type="password" id="token" name="token" autocomplete="off" spellcheck="false" required autofocus
 placeholder="{TOKEN_PREFIX}…">
<button type="submit">Sign in</button>
</form>
<p><small>The server's owner gave you this token (it starts with {TOKEN_PREFIX}). You enter it once here; the app then
signs in on its own. If you did not start this, close this page.</small></p>"""
        return _page(body, status, form_to=sign_in.redirect_uri)

    @staticmethod
    def _expired() -> HTMLResponse:
        return _page(f'<p class="error">{html.escape(EXPIRED)}</p>', 400)
