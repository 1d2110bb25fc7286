"""Command line: ``heygen-studio serve | sandbox | demo | config | doctor``.

Settings are read here, at start-up; a bad value stops with one line and no traceback.
Heavy modules (the MCP SDK, the sandbox, ``openai``) are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from . import __version__, shell
from .clients import CLIENTS
from .settings import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heygen-studio", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"heygen-studio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument("--token", help="bearer token HTTP clients must send (default: HEYGEN_HTTP_TOKEN; "
                                       "required when --host is not loopback)")

    sandbox = sub.add_parser("sandbox", help="serve the offline HeyGen + DeepSeek simulator on a port")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)

    sub.add_parser("demo", help="make a short avatar video end to end on the embedded sandbox")

    config = sub.add_parser("config", help="print (or --write) this server's entry for an MCP client")
    config.add_argument("client", choices=CLIENTS, help="the MCP client to configure")
    config.add_argument("--sandbox", action="store_true", help="an entry for the offline sandbox (no key)")
    config.add_argument("--write", action="store_true",
                        help="merge the entry into the client's config file (backup first; other servers kept)")

    sub.add_parser("doctor", help="check the key, credits, folders and job store; exit 1 if anything fails")

    shell.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in shell.COMMANDS:  # the shell workflow: its own parser, exit codes and output
        sys.exit(shell.main(argv))
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "sandbox":
        from .sandbox import run_sandbox

        print(f"HeyGen sandbox on http://{args.host}:{args.port} (any API key works; keys starting 'bad' fail)",
              file=sys.stderr)
        run_sandbox(host=args.host, port=args.port)
        return
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"heygen-studio: {exc}")
    if args.command == "serve":
        from .server import create_server, serve_stdio

        server = create_server(settings)
        if args.http:
            from .serving import HTTPConfigError, run_http

            try:
                run_http(server, settings, host=args.host, port=args.port, token=args.token)
            except HTTPConfigError as exc:
                sys.exit(f"heygen-studio: {exc}")
        else:
            import anyio

            anyio.run(serve_stdio, server)
    elif args.command == "demo":
        from .demo import run_demo

        sys.exit(run_demo(settings))
    elif args.command == "config":
        from .clients import run as run_config

        sys.exit(run_config(args.client, settings, sandbox=args.sandbox, write=args.write))
    elif args.command == "doctor":
        from .doctor import run as run_doctor

        sys.exit(run_doctor(settings))
