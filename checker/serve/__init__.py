"""``proofcheck serve``: a local web playground that checks a proof as it is typed.

``create_app`` (``checker.serve.app``) builds the Starlette application; ``cmd_serve`` runs
it with Uvicorn on 127.0.0.1 and prints the address. See docs/playground.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType

from checker.serve.pool import PoolSettings
from checker.serve.worker import WorkerSettings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def settings_from(args: argparse.Namespace, cache_path: str | None) -> PoolSettings:
    """The pool's settings from ``proofcheck serve``'s options."""
    cores = os.cpu_count() or 1
    workers = args.workers or max(2, cores)
    worker = WorkerSettings(str(args.exercises) if args.exercises else None, args.budget,
                            args.timeout, args.memory, cache_path)
    return PoolSettings(worker, min_workers=workers, max_workers=2 * workers)


def cmd_serve(args: argparse.Namespace) -> tuple[str, int]:
    """Run the playground until Ctrl-C; prints its address first."""
    import uvicorn

    from checker.serve.app import ServeConfig, create_app

    if args.exercises is not None and not args.exercises.exists():
        return f"proofcheck: error: no such folder: {args.exercises}", 2
    if not 0 <= args.port <= 65535:
        return "proofcheck: error: --port must be between 0 and 65535", 2
    if args.workers is not None and not 1 <= args.workers <= 64:
        return "proofcheck: error: --workers must be between 1 and 64", 2
    if args.memory < 256:
        return "proofcheck: error: --memory must be at least 256 MB", 2
    if args.timeout <= 0 or args.timeout > 3600:
        return "proofcheck: error: --timeout must be between 0 and 3600 seconds", 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        return f"proofcheck: error: cannot listen on {args.host}:{args.port}: {exc.strerror}", 2
    sock.listen(128)
    port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="proofcheck-serve-") as tmp:
        cache = str(args.cache) if args.cache else str(Path(tmp) / "verdicts.sqlite")
        settings = settings_from(args, cache)
        loopback = args.host in LOOPBACK
        hosts = ("127.0.0.1", "localhost", "[::1]", "::1") if loopback else None
        app = create_app(ServeConfig(settings, args.exercises, hosts))
        shown = f"[{args.host}]" if ":" in args.host else args.host
        print(f"proofcheck playground: http://{shown}:{port}/  (Ctrl-C to stop)", flush=True)
        if not loopback:
            print("proofcheck: warning: listening beyond this machine; anyone who can reach "
                  "it can use the checker", file=sys.stderr, flush=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        # Uvicorn stops gracefully on SIGINT/SIGTERM (its handlers only set a flag), then
        # raises the signal again under the previous handler: for SIGTERM, the default one
        # would kill the process before the temporary cache is removed
        term = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        if term:
            signal.signal(signal.SIGTERM, _stopped)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            if term:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
            sock.close()
    return "", 0


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
