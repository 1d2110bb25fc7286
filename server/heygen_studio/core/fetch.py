"""Fetching a URL a tool call named, safely: no private-network fetches on any redirect hop.

A model can be talked into passing any URL, so every hop is checked the same way:

* ``http``/``https`` only, no credentials in the URL, a port in range;
* the host name is resolved once (off the event loop) and every address it resolves to must be
  public: loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast,
  reserved and unspecified ranges are refused, in every spelling (``127.1``, ``2130706433``,
  ``0x7f000001`` resolve like any name; IPv4-mapped, 6to4 and Teredo IPv6 are unwrapped);
* the connection goes to the address that was checked (the URL is rewritten to the IP, with the
  name kept for ``Host`` and TLS SNI/verification), so a second lookup cannot rebind it;
* redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop checked again;
* one deadline covers the whole fetch and a size cap every byte, so a server that drips bytes
  cannot hold the call; failures read the same whether a port is open or closed.

``allow_private=True`` (``HEYGEN_ALLOW_PRIVATE_URLS=1``) lifts the address check for people who need
it; ``allowed_hosts`` lifts it for named ``host:port`` pairs only (an internal media server,
``HEYGEN_ALLOWED_URL_HOSTS``): a redirect from there to any other host is checked again.
``fetch_trusted`` fetches from a service this process hosts itself (the embedded sandbox's media)
through its in-process transport, under the same deadline and size cap.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio
import httpx2

from .errors import InputError

MAX_REDIRECTS = 5
CHUNK = 1024 * 1024
_NOT_PUBLIC_V4 = (ipaddress.ip_network("100.64.0.0/10"),  # CGNAT (RFC 6598)
                  ipaddress.ip_network("192.0.0.0/24"))  # IETF protocol assignments (RFC 6890)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class URLRefused(InputError):
    """A URL this server will not fetch; nothing was sent upstream."""

    default_hint = "Give a public http(s) URL, or save the file and pass it as a local path."


class FetchFailed(InputError):
    """The URL could not be fetched (the same text for a closed port, a timeout or a reset)."""

    default_hint = "Check that the URL is a direct, public download link, or pass a local path instead."


@dataclass(frozen=True)
class Fetched:
    size: int
    content_type: str | None
    final_url: str
    ranged: bool = False  # a span was asked for and the server sent just it (206)
    total: int | None = None  # the whole file's size, when the server said


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """True for a globally routable unicast address, after unwrapping IPv4 embedded in IPv6."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        ip = inner
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or ip.is_loopback or ip.is_link_local:
        return False
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _NOT_PUBLIC_V4):
        return False
    return ip.is_global


def _checked_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL we may fetch, or ``URLRefused``."""
    if len(url) > 4096 or "\x00" in url:
        raise URLRefused("The URL is too long or contains a NUL byte")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise URLRefused("The URL is malformed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise URLRefused(f"Only http(s) URLs can be fetched; got {url[:80]!r}")
    if parts.username or parts.password:
        raise URLRefused("URLs with credentials (user:password@) are not fetched")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchFailed(f"Could not fetch from {host}: the name does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _pinned(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


async def fetch_to(
    url: str,
    sink: IO[bytes],
    *,
    max_bytes: int,
    deadline_s: float = 120.0,
    allow_private: bool = False,
    allowed_hosts: Iterable[str] = (),
    transport: httpx2.AsyncBaseTransport | None = None,
    span: tuple[int, int] | None = None,
) -> Fetched:
    """Stream ``url`` into ``sink`` under the checks above. ``transport`` replaces the network (tests).

    ``span`` (offset, length): read only those bytes, asking with ``Range``; a server that ignores it is read
    from its start and cut at ``length`` (``Fetched.ranged`` says which happened, ``total`` the file's size)."""
    allowed = {h.lower() for h in allowed_hosts}
    try:
        with anyio.fail_after(deadline_s):
            async with httpx2.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                                          verify=tls_context(), timeout=httpx2.Timeout(30.0, connect=10.0)) as http:
                return await _follow(http, url, sink, max_bytes=max_bytes, allow_private=allow_private,
                                     allowed=allowed, span=span)
    except TimeoutError:
        raise FetchFailed(f"Fetching {url[:80]} took longer than {deadline_s:g} s") from None


async def _follow(http: httpx2.AsyncClient, url: str, sink: IO[bytes], *, max_bytes: int, allow_private: bool,
                  allowed: set[str], span: tuple[int, int] | None = None) -> Fetched:
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port = _checked_url(url)
        addresses = await _resolve(host, port)
        trusted = allow_private or f"{host.lower()}:{port}" in allowed
        if not trusted and not all(is_public(a) for a in addresses):
            raise URLRefused(f"Refusing to fetch {host}: it is a private, local or reserved address")
        target = _pinned(url, addresses[0])
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        headers = {"Host": urlsplit(url).netloc.rpartition("@")[2], **_range(span)}
        request = http.build_request("GET", target, headers=headers, extensions=extensions)
        try:
            response = await http.send(request, stream=True)
        except httpx2.HTTPError:
            raise FetchFailed(f"Could not fetch from {host}") from None
        try:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if span is not None:
                return await _span(response, sink, host=host, url=url, length=span[1])
            return await _body(response, sink, host=host, url=url, max_bytes=max_bytes)
        except httpx2.HTTPError:
            raise FetchFailed(f"Could not fetch from {host}") from None
        finally:
            await response.aclose()
    raise FetchFailed(f"More than {MAX_REDIRECTS} redirects")


def _range(span: tuple[int, int] | None) -> dict[str, str]:
    return {} if span is None else {"Range": f"bytes={span[0]}-{span[0] + span[1] - 1}"}


async def _body(response: httpx2.Response, sink: IO[bytes], *, host: str, url: str, max_bytes: int) -> Fetched:
    if response.status_code != 200:
        raise FetchFailed(f"Fetching from {host} gave HTTP {response.status_code}")
    declared = response.headers.get("content-length") or "0"
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(f"The file is {declared} bytes; the limit is {max_bytes}")
    size = 0
    async for chunk in response.aiter_bytes(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed(f"The file is larger than {max_bytes} bytes")
        await anyio.to_thread.run_sync(sink.write, chunk)
    return Fetched(size=size, content_type=response.headers.get("content-type"), final_url=url)


async def _span(response: httpx2.Response, sink: IO[bytes], *, host: str, url: str, length: int) -> Fetched:
    """At most ``length`` bytes of a ranged answer (206), or of the start of a whole one (200): never more."""
    if response.status_code not in (200, 206):
        raise FetchFailed(f"Fetching from {host} gave HTTP {response.status_code}")
    ranged = response.status_code == 206
    total_text = (response.headers.get("content-range") or "").rpartition("/")[2]
    declared = response.headers.get("content-length") or ""
    total = int(total_text) if total_text.isdigit() else (int(declared) if not ranged and declared.isdigit() else None)
    size = 0
    async for chunk in response.aiter_bytes(min(CHUNK, length)):
        chunk = chunk[:length - size]
        size += len(chunk)
        sink.write(chunk)
        if size >= length:
            break
    return Fetched(size=size, content_type=response.headers.get("content-type"), final_url=url, ranged=ranged,
                   total=total)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's own default TLS context (the same trust, proxies and certificate variables ignored), built once per
    process: a client made for one fetch would otherwise build its own, ~25 ms of CPU each time."""
    return httpx2.create_ssl_context(trust_env=False)


async def fetch_trusted(url: str, sink: IO[bytes], *, transport: httpx2.AsyncBaseTransport, max_bytes: int,
                        deadline_s: float = 120.0, span: tuple[int, int] | None = None) -> Fetched:
    """Stream ``url`` from a service reached through ``transport`` in this process (no network, no
    address check, no redirect followed), under the same deadline and size cap as ``fetch_to``."""
    host = urlsplit(url).hostname or "?"
    try:
        with anyio.fail_after(deadline_s):
            async with (httpx2.AsyncClient(transport=transport, follow_redirects=False, trust_env=False) as http,
                        http.stream("GET", url, headers=_range(span)) as response):
                if span is not None:
                    return await _span(response, sink, host=host, url=url, length=span[1])
                return await _body(response, sink, host=host, url=url, max_bytes=max_bytes)
    except TimeoutError:
        raise FetchFailed(f"Fetching {url[:80]} took longer than {deadline_s:g} s") from None
    except httpx2.HTTPError:
        raise FetchFailed(f"Could not fetch from {host}") from None
