"""The ``proofcheck`` command: argument handling only, over the public API.

Exit codes: 0 every step proved, 1 some step refuted, plausible or unknown, 2 usage or
parse errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from checker import __version__
from checker.diagnostics import CheckerError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="proofcheck",
        description="Check stepwise proof sketches for the theory of deep learning course.",
    )
    p.add_argument("--version", action="version", version=f"proofcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check proof files, one verdict per step")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.add_argument("--show-parsed", action="store_true",
                   help="echo how each line was read, fully parenthesized")
    c.add_argument("--budget", type=float, default=2.0, metavar="SECONDS",
                   help="time budget per obligation (default 2)")

    k = sub.add_parser("claim", help="prove or refute one claim")
    k.add_argument("claim")
    k.add_argument("--assume", action="append", default=[], metavar="ASSUMPTION",
                   help="e.g. 'x in [-5, 5]', 'n >= 1 integer' (repeatable)")
    k.add_argument("--format", choices=["text", "json"], default="text")
    k.add_argument("--budget", type=float, default=2.0, metavar="SECONDS")
    return p


def run(argv: Sequence[str] | None = None) -> tuple[str, int]:
    """Run the command line; returns (output, exit code) without printing (for tests)."""
    from checker import report
    from checker.check import check_claim, check_file

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return "", int(exc.code or 0) if exc.code in (0, None) else 2
    if args.budget <= 0 or args.budget > 600:
        return "proofcheck: error: --budget must be between 0 and 600 seconds", 2
    if args.command == "check":
        results = [check_file(f, budget_s=args.budget) for f in args.files]
        code = max(r.exit_code for r in results)
        if args.format == "json":
            return report.files_json(results), code
        text = "\n".join(report.file_text(r, args.show_parsed) for r in results)
        return text, code
    try:
        result = check_claim(args.claim, args.assume, budget_s=args.budget)
    except CheckerError as exc:
        if args.format == "json":
            import json

            return json.dumps({"verdict": None, "errors": [d.to_json()
                                                          for d in exc.diagnostics]}), 2
        return "\n".join(d.format() for d in exc.diagnostics), 2
    out = report.claim_json(result) if args.format == "json" else report.claim_text(result)
    return out, result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    out, code = run(argv)
    if out:
        try:
            print(out)
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
