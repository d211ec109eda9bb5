"""The ``proofcheck`` command: argument handling only, over the public API.

Exit codes: 0 every step proved, 1 some step refuted, plausible or unknown, 2 usage or
parse errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

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
    c.add_argument("--format", choices=["text", "json", "html", "latex"], default="text",
                   help="html: one self-contained page; latex: a fragment with a mark per "
                   "step (docs/reports.md)")
    c.add_argument("--show-parsed", action="store_true",
                   help="echo how each line was read, fully parenthesized")
    c.add_argument("--budget", type=float, default=2.0, metavar="SECONDS",
                   help="time budget per obligation (default 2)")
    c.add_argument("--exercises", type=Path, metavar="DIR",
                   help="where exercises live (default: the shipped exercises/)")
    c.add_argument("--seed", type=int, help="the variant of a randomized exercise")
    c.add_argument("--student", help="derive the variant seed from a student id")
    c.add_argument("--standalone", action="store_true",
                   help="check the proof alone, not against its exercise")

    v = sub.add_parser("validate", help="validate exercises: solutions, samples, mutants")
    v.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="exercise folders or folders of exercises (default: exercises/)")
    v.add_argument("--no-mutants", action="store_true", help="skip the mutation test")
    v.add_argument("--jobs", type=int, metavar="N", help="exercises checked at once "
                   "(default: all cores)")
    v.add_argument("--budget", type=float, default=2.0, metavar="SECONDS")

    n = sub.add_parser("new", help="scaffold a new exercise")
    n.add_argument("id")
    n.add_argument("--topic", default="misc")
    n.add_argument("--dir", type=Path, metavar="DIR", help="default: exercises/")

    s = sub.add_parser("show", help="show an exercise's statement for a variant")
    s.add_argument("id")
    s.add_argument("--seed", type=int)
    s.add_argument("--student", help="derive the seed from a student id")
    s.add_argument("--exercises", type=Path, metavar="DIR")

    g = sub.add_parser("grade", help="grade a class's submissions: scores, feedback, exports")
    g.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help="one folder per student, or one student's files (Gradescope)")
    g.add_argument("--exercises", type=Path, metavar="PATH", action="append",
                   help="the assignment's exercises, a folder of them or one; repeat for "
                   "several (default: the shipped exercises/)")
    g.add_argument("--out", type=Path, required=True, metavar="RESULTS")
    g.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: all cores)")
    g.add_argument("--budget", type=float, default=2.0, metavar="SECONDS")
    g.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="wall-clock and CPU limit per obligation (default: 5 x budget + 10)")
    g.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="address-space limit per worker process (default 2048)")
    g.add_argument("--no-cache", action="store_true", help="check every obligation afresh")
    g.add_argument("--cache", type=Path, metavar="FILE", help="default: RESULTS/cache.sqlite")
    g.add_argument("--force", action="store_true",
                   help="regrade submissions already graded; also needed to grade another "
                        "submissions folder into a RESULTS folder already used")
    g.add_argument("--layout", choices=["auto", "folders", "gradescope", "single"],
                   default="auto", help="folders: one folder per student; gradescope: one "
                   "student, id from ../submission_metadata.json; single: one student named "
                   "by the folder (default: detected, and a mixed folder is refused)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster (pip install proofcheck[dask])")

    k = sub.add_parser("claim", help="prove or refute one claim")
    k.add_argument("claim")
    k.add_argument("--assume", action="append", default=[], metavar="ASSUMPTION",
                   help="e.g. 'x in [-5, 5]', 'n >= 1 integer' (repeatable)")
    k.add_argument("--format", choices=["text", "json"], default="text")
    k.add_argument("--budget", type=float, default=2.0, metavar="SECONDS")

    lsp = sub.add_parser("lsp", help="a language server over stdio, for editors "
                         "(docs/editors.md)")
    lsp.add_argument("--exercises", type=Path, metavar="DIR",
                     help="where exercises live (default: the shipped exercises/)")
    lsp.add_argument("--budget", type=float, default=2.0, metavar="SECONDS",
                     help="time budget per obligation (default 2)")
    lsp.add_argument("--memory", type=int, default=2048, metavar="MB",
                     help="address-space limit of the checking process (default 2048)")
    lsp.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                     help="wall-clock limit per check of a document (default 120)")
    lsp.add_argument("--seed", type=int, help="the variant of a randomized exercise")
    lsp.add_argument("--stdio", action="store_true",
                     help="talk over stdin/stdout (the default and only transport; "
                          "accepted because editors pass it)")

    w = sub.add_parser("serve", help="a local web playground: check a proof as you type "
                       "(docs/playground.md)")
    w.add_argument("--port", type=int, default=8765, metavar="N",
                   help="port to listen on (default 8765; 0: any free port)")
    w.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    w.add_argument("--exercises", type=Path, metavar="PATH",
                   help="where exercises live (default: the shipped exercises/)")
    w.add_argument("--budget", type=float, default=2.0, metavar="SECONDS",
                   help="time budget per obligation (default 2, as for check)")
    w.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="wall-clock and CPU limit per request (default 30)")
    w.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="address-space limit per worker process (default 2048)")
    w.add_argument("--workers", type=int, metavar="N",
                   help="worker processes kept ready (default: the number of cores, at "
                        "least 2; up to twice as many start when all are busy)")
    w.add_argument("--cache", type=Path, metavar="FILE",
                   help="keep the verdict cache in this SQLite file (default: a temporary "
                        "one)")

    t = sub.add_parser("theorems", help="list, show or self-check the theorem library")
    t.add_argument("name", nargs="?", help="show one theorem in full")
    t.add_argument("--topic", help="only theorems whose topic contains this text")
    t.add_argument("--check", action="store_true",
                   help="self-check: stress-test cited theorems, prove derived ones")
    t.add_argument("--index", action="store_true", help="print docs/theorems.md")
    t.add_argument("--budget", type=float, default=3.0, metavar="SECONDS")
    return p


def _theorems(args: argparse.Namespace) -> tuple[str, int]:
    from checker.diagnostics import did_you_mean
    from checker.library.index import render_index, render_theorem
    from checker.library.theorems import load

    lib = load()
    if lib.diagnostics:
        return "\n".join(d.format() for d in lib.diagnostics), 2
    if args.index:
        return render_index(lib).rstrip("\n"), 0  # print() adds the final newline
    chosen = [t for t in lib.theorems.values() if not args.topic or args.topic in t.topic]
    if args.name:
        thm = lib.get(args.name)
        if thm is None:
            return f"proofcheck: no theorem named {args.name!r}" + did_you_mean(
                args.name, list(lib.theorems)), 2
        chosen = [thm]
        if not args.check:
            return render_theorem(thm), 0
    if args.check:
        from checker.library.binding import unbound_parameters
        from checker.library.selfcheck import check_theorem

        lines, failed = [], 0
        for thm in chosen:
            f = check_theorem(thm, lib, args.budget)
            failed += not f.ok
            lines.append(f"{'ok  ' if f.ok else 'FAIL'} {f.theorem}: {f.outcome}: {f.detail}")
        unbound = [u for thm in chosen for u in unbound_parameters(thm)]
        lines += [f"FAIL {u.describe()}" for u in unbound]
        lines.append(f"{len(chosen) - failed} of {len(chosen)} theorems pass the self-check; "
                     f"{len(unbound)} unbound parameter{'' if len(unbound) == 1 else 's'}")
        return "\n".join(lines), 1 if failed or unbound else 0
    width = max((len(t.id) for t in chosen), default=0)
    lines = [f"{t.id.ljust(width)}  {t.statement}" for t in chosen]
    return "\n".join(lines) + f"\n{len(chosen)} theorems", 0


def run(argv: Sequence[str] | None = None) -> tuple[str, int]:
    """Run the command line; returns (output, exit code) without printing (for tests)."""
    from checker import report
    from checker.check import check_claim, check_file

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return "", int(exc.code or 0) if exc.code in (0, None) else 2
    budget = getattr(args, "budget", 1.0)
    if budget <= 0 or budget > 600:
        return "proofcheck: error: --budget must be between 0 and 600 seconds", 2
    if args.command == "theorems":
        return _theorems(args)
    if args.command in ("validate", "new", "show"):
        from checker import authoring

        return getattr(authoring, f"cmd_{args.command}")(args)  # type: ignore[no-any-return]
    if args.command == "lsp":
        from checker.lsp.server import Settings, serve

        if not 0 < args.timeout <= 3600 or args.memory < 0:
            return "proofcheck: error: --timeout must be between 0 and 3600 seconds and " \
                   "--memory at least 0 MB", 2

        return "", serve(Settings(exercises=args.exercises, budget_s=args.budget,
                                  memory_mb=args.memory, timeout_s=args.timeout,
                                  seed=args.seed))
    if args.command == "serve":
        from checker.serve import cmd_serve

        return cmd_serve(args)
    if args.command == "grade":
        from checker.grade import cmd_grade

        return cmd_grade(args)
    if args.command == "check":
        results = [check_file(f, budget_s=args.budget, exercises=args.exercises,
                              seed=args.seed, student=args.student, standalone=args.standalone)
                   for f in args.files]
        code = max(r.exit_code for r in results)
        if args.format == "json":
            return report.files_json(results), code
        if args.format == "html":
            from checker.report_html import files_html

            return files_html(results), code
        if args.format == "latex":
            from checker.report_latex import files_latex

            return files_latex(results), code
        text = "\n".join(report.file_text(r, args.show_parsed) for r in results)
        return text, code
    try:
        result = check_claim(args.claim, args.assume, budget_s=args.budget)
    except CheckerError as exc:
        if args.format == "json":
            return report.claim_errors_json(exc.diagnostics), 2
        return "\n".join(d.format() for d in exc.diagnostics), 2
    out = report.claim_json(result) if args.format == "json" else report.claim_text(result)
    return out, result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        out, code = run(argv)
    except KeyboardInterrupt:  # Ctrl-C anywhere (while the engines load, too): no traceback
        print("proofcheck: interrupted", file=sys.stderr)
        return 130
    if out:
        try:
            print(out)
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
