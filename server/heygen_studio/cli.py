"""Command line: ``heygen-studio serve | sandbox | demo | config | doctor | tokens``.

Settings are read here, at start-up; a bad value stops with one line and no traceback.
Heavy modules (the MCP SDK, the sandbox, ``openai``, and pydantic itself, which the settings need) are imported
only by the command that needs them, with the garbage collector held back while they load (``startup.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, NoReturn

from . import __version__, shell, startup
from .http_token import token_problem

if TYPE_CHECKING:  # pydantic and the settings load in ``main``, where Ctrl-C is one line, not a traceback
    from .settings import Settings


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line with where to look, not the usage block and a traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _port(text: str) -> int:
    """A TCP port number, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number: use 1-65535") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is out of range: use 1-65535")
    return port


def _token(text: str) -> str:
    """A bearer token, by the rule HEYGEN_HTTP_TOKEN follows (never echoed back)."""
    problem = token_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _public_url(text: str) -> str:
    from .settings import public_url

    try:
        return public_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    from .clients import CLIENTS  # the config command's choices (a shell command never builds this parser)

    parser = _Parser(prog="heygen-studio", description="Make HeyGen avatar videos from an MCP client, or try it "
                     "offline on the built-in sandbox.")
    parser.add_argument("--version", action="version", version=f"heygen-studio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)",
                           description="Run the MCP server: over stdio for a client that starts it, or over "
                           "streamable HTTP (--http) at http://HOST:PORT/mcp. Settings come from HEYGEN_* "
                           "environment variables (README); HEYGEN_SANDBOX=1 uses the offline sandbox.")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="HTTP port (default 8000)")
    serve.add_argument("--token", type=_token, help="bearer token HTTP clients must send (default: "
                       "HEYGEN_HTTP_TOKEN; on loopback, else, one kept in the state folder and printed once at start; "
                       "required when --host is not loopback)")
    serve.add_argument("--no-auth", action="store_true", help="ask HTTP clients for no token (loopback only: any "
                       "local process or user can then call the tools)")
    serve.add_argument("--public-url", type=_public_url, help="the address clients use, e.g. http://my-box:8000 "
                       "(default: HEYGEN_PUBLIC_URL); its host is allowed, and the start-up line prints it")

    sandbox = sub.add_parser("sandbox", help="serve the offline HeyGen + DeepSeek simulator on a port",
                             description="Serve the offline HeyGen + DeepSeek simulator on a port, for "
                             "HEYGEN_BASE_URL=http://HOST:PORT (any API key works; keys starting 'bad' fail).")
    sandbox.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sandbox.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    sandbox.add_argument("--accounts", choices=("shared", "per-key"), default="shared",
                         help="shared (default): every key reaches one account; per-key: each API key is an "
                         "account of its own (wallet, videos, assets, webhooks), as a team's people are")

    sub.add_parser("demo", help="make a short avatar video end to end on the embedded sandbox",
                   description="Make a short avatar video end to end through a real MCP session on the embedded "
                   "sandbox (no key, no credits) and save it in HEYGEN_OUTPUT_DIR.")

    config = sub.add_parser("config", help="print (or --write) this server's entry for an MCP client",
                            description="Print this install's entry for an MCP client, or merge it into the "
                            "client's config file with --write (backup first; other servers kept).")
    config.add_argument("client", choices=CLIENTS, help="the MCP client to configure")
    config.add_argument("--sandbox", action="store_true", help="an entry for the offline sandbox (no key)")
    config.add_argument("--write", action="store_true",
                        help="merge the entry into the client's config file (backup first; other servers kept)")
    config.add_argument("--http", action="store_true", help="an entry for 'serve --http' (its URL and token) "
                        "instead of one that starts the server over stdio")
    config.add_argument("--port", type=_port, default=8000, help="with --http: the port 'serve --http' uses "
                        "(default 8000; HEYGEN_PUBLIC_URL wins when set)")

    sub.add_parser("doctor", help="check the key, credits, folders and job store; exit 1 if anything fails",
                   description="Check the mode, key, credits, output and allowed folders, job store and DeepSeek: "
                   "one line each, with the fix; exit 1 if anything fails.")

    _add_tokens(sub)
    shell.add_commands(sub)
    return parser


def _dollars(text: str) -> float:
    """An amount of US dollars, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in US dollars") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError("must be 0 or more US dollars")
    return value


def _add_tokens(sub: argparse._SubParsersAction[_Parser]) -> None:
    tokens = sub.add_parser("tokens", help="add, list or revoke the people 'serve --http' serves, and their tokens",
                            description="The people a team server ('serve --http') serves: each has a personal "
                            "token (shown once), may have a HeyGen key of their own (kept encrypted with "
                            "HEYGEN_SECRET_KEY) and a daily limit. Kept in the job store (HEYGEN_STATE_DIR).")
    action = tokens.add_subparsers(dest="tokens_command", required=True)
    add = action.add_parser("add", help="add a person and print their token, once",
                            description="Add a person and print their personal token on stdout, once (it cannot "
                            "be shown again).")
    add.add_argument("name", help="a unique name: 1-64 letters, digits, '.', '_' or '-'")
    add.add_argument("--heygen-key-stdin", action="store_true", help="read a HeyGen API key of their own from "
                     "stdin (never echoed; stored encrypted with HEYGEN_SECRET_KEY); default: the server's key")
    add.add_argument("--daily-credits", type=_dollars, metavar="USD", help="the most their paid calls may reserve "
                     "in any 24 h, US dollars (default: the server's HEYGEN_DAILY_CREDITS)")
    add.add_argument("--subject", metavar="SUB", help="the OpenID Connect 'sub' claim that signs in as them")
    listing = action.add_parser("list", help="everyone, with what they spent in the last 24 h",
                                description="Everyone (the revoked last), with their own key yes/no, daily limit "
                                "and what their paid calls reserved in the last 24 h. No token or key is shown.")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    revoke = action.add_parser("revoke", help="revoke a person: their token stops working at once",
                               description="Revoke a person: their token and subject are refused from the next "
                               "request on, in every server process.")
    revoke.add_argument("name", help="the person's name")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    startup.hold()  # released once the command has built what it needs (a shell command: after its first call)
    try:
        if argv and argv[0] in shell.COMMANDS:  # the shell workflow: its own parser, exit codes and output
            sys.exit(shell.main(argv))
        try:
            _main(argv)
        except KeyboardInterrupt:  # Ctrl-C while starting, or in config, doctor or demo: one line, no traceback
            print("heygen-studio: interrupted.", file=sys.stderr)
            sys.exit(130)
    finally:
        startup.release(freeze=False)


def _main(argv: list[str]) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.command != "serve":
        startup.release()  # only serve starts against a clock (a client waits on it)
    if args.command == "sandbox":
        from .sandbox import SandboxConfig, run_sandbox

        print(f"HeyGen sandbox on http://{args.host}:{args.port} (any API key works; keys starting 'bad' fail"
              f"{'; each key is an account of its own' if args.accounts == 'per-key' else ''})", file=sys.stderr)
        run_sandbox(host=args.host, port=args.port, config=SandboxConfig(accounts=args.accounts))
        return
    from .settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"heygen-studio: {exc}")
    if args.command == "serve":
        sys.exit(_serve(args, settings))
    elif args.command == "demo":
        from .demo import run_demo

        sys.exit(run_demo(settings))
    elif args.command == "config":
        from .clients import run as run_config

        sys.exit(run_config(args.client, settings, sandbox=args.sandbox, write=args.write, http=args.http,
                            port=args.port))
    elif args.command == "doctor":
        from .doctor import run as run_doctor

        sys.exit(run_doctor(settings))
    elif args.command == "tokens":
        sys.exit(_tokens(args, settings))


def _tokens(args: argparse.Namespace, settings: Settings) -> int:
    from . import tokens

    if args.tokens_command == "add":
        return tokens.run_add(settings, args.name, heygen_key_stdin=args.heygen_key_stdin,
                              daily_credits=args.daily_credits, subject=args.subject)
    if args.tokens_command == "revoke":
        return tokens.run_revoke(settings, args.name)
    return tokens.run_list(settings, as_json=args.json)




STDIO_GRACE_S = 2.0  # serve over stdio: the most a stop may take (a cancelled tool call cleaning up)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """``serve``: one line on stderr saying what runs where, then the server until it ends or is stopped."""
    from .server import create_server, serve_stdio
    from .serving import HTTPConfigError, run_http, start_line, until_stopped

    logging.getLogger("mcp").setLevel(logging.WARNING)  # no line per session: the start line says it all

    def announce(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.http and (args.token or args.no_auth or args.public_url):
        sys.exit("heygen-studio: --token, --no-auth and --public-url are for serve --http: add --http, or drop them")
    if args.http and args.public_url:
        settings = settings.model_copy(update={"heygen_public_url": args.public_url})
    if args.http and args.token:
        from pydantic import SecretStr

        settings = settings.model_copy(update={"heygen_http_token": SecretStr(args.token)})
    server = create_server(settings)
    startup.release()  # the server is built: what remains until the first tools/list allocates little
    if args.http:
        try:
            return run_http(server, settings, host=args.host, port=args.port, no_auth=args.no_auth,
                            announce=announce)
        except HTTPConfigError as exc:
            sys.exit(f"heygen-studio: {exc}")
    import anyio

    line = start_line(settings)
    return until_stopped(lambda: anyio.run(serve_stdio, server), lambda: announce(line), grace_s=STDIO_GRACE_S)
