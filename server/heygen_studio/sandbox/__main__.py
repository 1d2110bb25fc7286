"""``python -m heygen_studio.sandbox [--host H] [--port P] [--state FILE] [--accounts shared|per-key]``: serve the
offline sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import SandboxConfig, run_sandbox
from .config import ACCOUNTS_MODES


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m heygen_studio.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state", type=Path, default=None, metavar="FILE",
                        help="keep jobs, avatars, assets and credits in this SQLite file across restarts")
    parser.add_argument("--accounts", choices=ACCOUNTS_MODES, default="shared",
                        help="shared (default): every key reaches one account; per-key: each API key is an account "
                        "of its own")
    args = parser.parse_args()
    own = "; each key is an account of its own" if args.accounts == "per-key" else ""
    print(
        f"HeyGen sandbox on http://{args.host}:{args.port} "
        f"(any API key works except ones starting with 'bad'{own})"
    )
    run_sandbox(args.host, args.port, SandboxConfig(state_path=args.state, accounts=args.accounts))


if __name__ == "__main__":
    main()
