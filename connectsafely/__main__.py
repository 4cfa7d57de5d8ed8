"""Command line: ``python -m connectsafely demo [--json]``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(
        prog="python -m connectsafely",
        description="ConnectSafely SDK command line.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="run an offline outreach flow against the embedded fake server",
        description=(
            "Start the in-memory fake ConnectSafely API on a 127.0.0.1 port and drive it "
            "through a normal AsyncClient: upload an attachment, send messages to a standard "
            "inbox prospect and a Sales Navigator prospect (with one injected 503 that is "
            "retried), read both conversations back and print a transcript. No API key and "
            "no network needed."
        ),
    )
    demo.add_argument("--json", action="store_true", help="print the transcript as JSON lines")
    demo.add_argument(
        "--backend", choices=("asyncio", "trio"), default="asyncio", help="event loop to use"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(as_json=args.json, backend=args.backend)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
