"""Load test of the playground (`proofcheck serve`): many editors at once, some hostile.

Two phases, each against a fresh server started as a user starts it (`proofcheck serve
--port 0`, default limits and workers), for the same duration and the same seeded workload:

* ``baseline``: ``--clients`` students editing shipped solutions (each request changes one
  step: a wrong number, or the right text back), with a short pause between edits, and one
  probe (in a process of its own) that sends a small new proof (one obligation nothing has
  cached) every second;
* ``hostile``: the same, plus ``--hostile`` clients that send, in a loop, a proof of towers of
  exponentials that runs into the time limit (a new one each time, so nothing is cached),
  with an oversized body and a body that is not JSON every third round.

It reports per phase: requests, requests per second, p50/p95/max latency of the students'
requests, of the probe and of the hostile ones, the failures (no answer, a connection error,
an answer that is not the API's JSON, HTTP 5xx) and whether the server stayed up. The
acceptance (issue 15): no failed request, the server up, and under the hostile loop the probe
(a normal proof) answered within 2 s every time.

    python bench/playground.py                     # 2 x 60 s, 4 students, 1 hostile client
    python bench/playground.py --duration 30 --clients 6 --hostile 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANSWER_LIMIT_S = 2.0  # the acceptance: a normal proof's answer under the hostile loop
SERVER_CODES = ("check-time-limit", "check-resource-limit", "server-busy",
                "request-superseded")


def solutions() -> list[str]:
    """Shipped solutions to edit: a few of each topic, in a fixed order."""
    found = sorted((ROOT / "exercises").glob("*/*/solution.proof"))
    return [p.read_text(encoding="utf-8") for p in found]


def hostile_text(k: int) -> str:
    return "given x in (0, 1)\n" + "\n".join(
        f"have h{i}: e^(e^(e^(e^(e + {i + k})))) > exp(exp(exp(exp(x + {i})))) - {k}"
        for i in range(12)) + "\n"


@dataclass
class Record:
    kind: str  # student, probe, hostile
    latency: float
    status: int
    ok: bool
    detail: str = ""
    queued_s: float = 0.0  # the server's own account: waiting for a worker
    checking_s: float = 0.0  # and checking
    at: float = field(default_factory=time.monotonic)  # when the answer came


@dataclass
class Phase:
    name: str
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seconds: float = 0.0
    started: float = 0.0
    stopped: float = 0.0  # when the clients were told to stop (answers after it still count)
    server_up: bool = False
    health: dict[str, Any] = field(default_factory=dict)

    def add(self, r: Record) -> None:
        with self.lock:
            self.records.append(r)


def post(url: str, body: bytes, client: str, kind: str = "application/json",
         timeout: float = 120.0) -> tuple[int, Any, float]:
    req = urllib.request.Request(url + "api/check", data=body, method="POST",
                                 headers={"Content-Type": kind, "X-Client-Id": client})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    took = time.monotonic() - start
    return status, json.loads(raw), took


def answered(status: int, doc: Any) -> tuple[bool, str]:
    """Did the server answer as its API says (a report, or a coded error)?"""
    if status >= 500:
        return False, f"HTTP {status}: {doc}"
    if status == 200:
        ok = isinstance(doc, dict) and "lines" in doc and "diagnostics" in doc
        if not ok:
            return False, "not a report"
        server = [d["code"] for d in doc["diagnostics"] if d["code"] in SERVER_CODES]
        return True, server[0] if server else ""
    ok = isinstance(doc, dict) and isinstance(doc.get("error"), dict) and "code" in doc["error"]
    return ok, doc["error"]["code"] if ok else f"HTTP {status} without a code"


def student(url: str, phase: Phase, idx: int, stop: threading.Event, texts: list[str]) -> None:
    rng = random.Random(idx)
    base = texts[(idx * 7) % len(texts)]
    lines = base.split("\n")
    steps = [i for i, line in enumerate(lines) if re.search(r"\d", line)
             and not line.lstrip().startswith(("#", "exercise", "given"))]
    client = f"student{idx}"
    while not stop.is_set():
        edited = list(lines)
        if steps and rng.random() < 0.7:  # a slip: one number in one step changed
            i = rng.choice(steps)
            digits = [m.start() for m in re.finditer(r"\d", edited[i])]
            at = rng.choice(digits)
            edited[i] = edited[i][:at] + str((int(edited[i][at]) + rng.randint(1, 8)) % 10) \
                + edited[i][at + 1:]
        text = "\n".join(edited)
        try:
            status, doc, took = post(url, json.dumps({"text": text}).encode(), client)
            ok, detail = answered(status, doc)
            stats = doc.get("stats", {}) if isinstance(doc, dict) else {}
            phase.add(Record("student", took, status, ok, detail, stats.get("queued_s", 0.0),
                             stats.get("time_s", 0.0)))
        except Exception as exc:
            phase.add(Record("student", 0.0, 0, False, f"{type(exc).__name__}: {exc}"))
        stop.wait(0.5)


def probe(url: str, phase: Phase, stop: threading.Event) -> None:
    k = 0
    while not stop.is_set():
        k += 1
        text = f"given x in (0, 1)\nhave a: x^2 <= x + {k}/1000\n"
        try:
            status, doc, took = post(url, json.dumps({"text": text}).encode(), "probe")
            ok, detail = answered(status, doc)
            if ok and status == 200:
                verdicts = [line["status"] for line in doc["lines"] if line["line"] == 2]
                ok = verdicts in (["proved"], ["plausible"])
                detail = "" if ok else f"line 2: {verdicts} {doc['diagnostics']}"
            stats = doc.get("stats", {}) if isinstance(doc, dict) else {}
            phase.add(Record("probe", took, status, ok, detail, stats.get("queued_s", 0.0),
                             stats.get("time_s", 0.0)))
        except Exception as exc:
            phase.add(Record("probe", 0.0, 0, False, f"{type(exc).__name__}: {exc}"))
        stop.wait(1.0)


def probe_process(url: str, seconds: float, out: Any) -> None:
    """The probe in a process of its own (another student's browser): its timings do not
    include waiting for this script's other threads."""
    phase = Phase("probe")
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    probe(url, phase, stop)
    out.put(phase.records)


def hostile(url: str, phase: Phase, idx: int, stop: threading.Event) -> None:
    k = 1000 * idx
    client = f"hostile{idx}"
    while not stop.is_set():
        k += 1
        bodies = [(json.dumps({"text": hostile_text(k)}).encode(), "application/json")]
        if k % 3 == 1:  # the first round too
            bodies += [(b'{"text": "' + b"x" * 2_000_000 + b'"}', "application/json"),
                       (b"{not json", "application/json")]
        for body, kind in bodies:
            try:
                status, doc, took = post(url, body, client, kind)
                ok, detail = answered(status, doc)
                phase.add(Record("hostile", took, status, ok, detail))
            except Exception as exc:
                phase.add(Record("hostile", 0.0, 0, False, f"{type(exc).__name__}: {exc}"))
            if stop.is_set():
                break


def start_server(workers: int | None) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "checker", "serve", "--port", "0"]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)
    assert proc.stdout is not None
    m = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline())
    if m is None:
        raise SystemExit("the server printed no address")
    url = m.group(0)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=5) as r:
                if json.load(r)["status"] == "ok":
                    return proc, url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def run_phase(name: str, args: argparse.Namespace, hostile_clients: int) -> Phase:
    phase = Phase(name)
    proc, url = start_server(args.workers)
    texts = solutions()
    stop = threading.Event()
    threads = [threading.Thread(target=student, args=(url, phase, i, stop, texts))
               for i in range(args.clients)]
    threads += [threading.Thread(target=hostile, args=(url, phase, i, stop))
                for i in range(hostile_clients)]
    print(f"[{name}] {url}: {args.clients} students, 1 probe, {hostile_clients} hostile, "
          f"{args.duration:g} s", file=sys.stderr, flush=True)
    ctx = multiprocessing.get_context("fork")  # before any thread of ours starts
    records = ctx.Queue()
    prober = ctx.Process(target=probe_process, args=(url, args.duration, records))
    start = phase.started = time.monotonic()
    prober.start()
    for t in threads:
        t.start()
    stop.wait(args.duration)
    stop.set()
    phase.stopped = time.monotonic()
    for r in records.get(timeout=300):
        phase.add(r)
    prober.join(10)
    for t in threads:
        t.join(180)
    phase.seconds = time.monotonic() - start
    try:
        with urllib.request.urlopen(url + "api/health", timeout=10) as r:
            phase.health = json.load(r)
        phase.server_up = phase.health.get("status") == "ok" and proc.poll() is None
    except OSError:
        phase.server_up = False
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return phase


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(phase: Phase) -> dict[str, Any]:
    in_time = [r for r in phase.records if r.at <= phase.stopped]
    window = phase.stopped - phase.started
    out: dict[str, Any] = {"phase": phase.name, "seconds": round(window, 1),
                           "requests": len(in_time), "answered_after_stop":
                               len(phase.records) - len(in_time),
                           "requests_per_s": round(len(in_time) / window, 2),
                           "failed": [r.detail for r in phase.records if not r.ok],
                           "server_up": phase.server_up, "health": phase.health}
    for kind in ("student", "probe", "hostile"):
        lat = sorted(r.latency for r in phase.records if r.kind == kind and r.ok)
        if lat:
            worst = max((r for r in phase.records if r.kind == kind and r.ok),
                        key=lambda r: r.latency)
            out[kind] = {"n": len(lat), "p50_s": round(pct(lat, 50), 3),
                         "p95_s": round(pct(lat, 95), 3), "max_s": round(lat[-1], 3),
                         "slowest_queued_s": worst.queued_s,
                         "slowest_checking_s": worst.checking_s}
    for kind in ("student", "probe", "hostile"):
        codes: dict[str, int] = {}
        for r in phase.records:
            if r.kind == kind and r.ok:
                name = r.detail or "report"
                codes[name] = codes.get(name, 0) + 1
        out[f"{kind}_answers"] = codes
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    p.add_argument("--clients", type=int, default=4, help="students editing at once")
    p.add_argument("--hostile", type=int, default=1, help="clients sending hostile proofs")
    p.add_argument("--workers", type=int, help="the server's --workers (default: its own)")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    results = [summary(run_phase("baseline", args, 0)),
               summary(run_phase("hostile", args, args.hostile))]
    for s in results:
        print(f"\n{s['phase']}: {s['requests']} requests in {s['seconds']} s = "
              f"{s['requests_per_s']} requests/s (and {s['answered_after_stop']} answered "
              f"after); failed: {len(s['failed'])}; server up: {s['server_up']}")
        for kind in ("student", "probe", "hostile"):
            if kind in s:
                k = s[kind]
                print(f"  {kind:8} n={k['n']:4}  p50 {k['p50_s']:6.3f} s  p95 {k['p95_s']:6.3f} s"
                      f"  max {k['max_s']:6.3f} s (of which waiting {k['slowest_queued_s']} s, "
                      f"checking {k['slowest_checking_s']} s)")
        for kind in ("student", "probe", "hostile"):
            if s[f"{kind}_answers"]:
                print(f"  {kind} answers: {s[f'{kind}_answers']}")
        for f in s["failed"][:10]:
            print(f"  FAILED: {f}")
    hostile_phase = results[1]
    probe_max = hostile_phase.get("probe", {}).get("max_s", float("inf"))
    ok = all(not s["failed"] and s["server_up"] for s in results) and probe_max <= ANSWER_LIMIT_S
    print(f"\nacceptance: no failed request, server up, a normal proof answered within "
          f"{ANSWER_LIMIT_S:g} s under the hostile loop (probe max {probe_max:.3f} s): "
          f"{'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
