"""``python -m heygen_studio.sandbox [--host H] [--port P] [--state FILE]``: serve the offline sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import SandboxConfig, run_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m heygen_studio.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state", type=Path, default=None, metavar="FILE",
                        help="keep jobs, avatars, assets and credits in this SQLite file across restarts")
    args = parser.parse_args()
    print(
        f"HeyGen sandbox on http://{args.host}:{args.port} "
        "(any API key works except ones starting with 'bad')"
    )
    run_sandbox(args.host, args.port, SandboxConfig(state_path=args.state))


if __name__ == "__main__":
    main()
