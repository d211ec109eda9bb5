"""Grading benchmark: a generated class graded end to end, with the cache and without.

Usage (from the repository root):

    PYTHONPATH=. python bench/grading.py [--students 300] [--jobs N] [--budget 2]
        [--exercises ID,ID,...] [--no-baseline] [--keep DIR] [--seed 1]

It writes a class of ``--students`` students x 5 shipped exercises (``exercises/``): mostly
copies of each exercise's solution and samples (right and wrong) with small variations that do
not change the mathematics (comments, blank lines, trailing spaces), plus a few fresh
mistakes (a relation sign changed on one step) and syntax slips, and a few missing files.
Each student gets their own variant of the randomized exercises. Then it runs
``python -m checker grade`` on it twice in the same run, with the verdict cache and with
``--no-cache``, and reports wall time, obligations per second, cache hit rate and peak memory
(the sum over the grading processes, sampled every 0.1 s: RSS, and PSS which counts pages
shared after fork once), checks that both runs gave every student the same grades, and writes
``bench/results/grading.json``. Targets: 1,500 submissions in under 2 minutes on 2 cores, at
least 3x faster than with the cache off, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "grading.json"
DEFAULT_EXERCISES = ("barron_units_for_accuracy", "relu_three_layer_units", "vc_bound_sauer",
                     "kl_gaussian_to_standard_normal", "certify_radius_all_votes")
# what a student hands in for one exercise (cumulative shares)
MIX = (("missing", 0.03), ("solution", 0.45), ("right", 0.60), ("wrong", 0.93),
       ("mistake", 0.98), ("slip", 1.0))


# ------------------------------------------------------------------------------- the class


def _exercise_folders(ids: list[str]) -> dict[str, Path]:
    found = {p.parent.name: p.parent for p in (ROOT / "exercises").rglob("exercise.toml")}
    missing = [i for i in ids if i not in found]
    if missing:
        raise SystemExit(f"no such exercises: {', '.join(missing)}; have {sorted(found)}")
    return {i: found[i] for i in ids}


def _vary(text: str, rng: random.Random, student: str) -> str:
    """Same mathematics, different bytes: comments, blank lines, trailing spaces."""
    lines = text.rstrip("\n").split("\n")
    out = [lines[0]]
    if rng.random() < 0.6:
        out.append(f"# {student}'s proof")
    for line in lines[1:]:
        if rng.random() < 0.15:
            out.append("")
        out.append(line + (" " * rng.randint(1, 3) if rng.random() < 0.2 else ""))
        if rng.random() < 0.1:
            out.append("  # " + rng.choice(("by the hint", "TODO check", "see lecture 4")))
    return "\n".join(out) + "\n"


_RELATION = re.compile(r"(<=|>=)")


def _mistake(text: str, rng: random.Random) -> str:
    """One step's relation changed (a fresh mistake, new obligations)."""
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines)
                  if line.startswith((" ", "have")) and _RELATION.search(line)]
    if not candidates:
        return text
    i = rng.choice(candidates)
    swap = rng.choice(({"<=": "<", ">=": ">"}, {"<=": ">=", ">=": "<="}))
    lines[i] = _RELATION.sub(lambda m: swap[m.group(1)], lines[i], count=1)
    return "\n".join(lines)


def _slip(text: str, rng: random.Random) -> str:
    """A syntax slip: an unclosed bracket on one line (the file is not checked)."""
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if line.startswith(" ")]
    if candidates:
        i = rng.choice(candidates)
        lines[i] = lines[i] + " + (1"
    return "\n".join(lines)


def make_class(root: Path, students: int, ids: list[str], seed: int) -> dict[str, int]:
    """Write the exercises (copied) and the submissions under ``root``; counts by kind."""
    folders = _exercise_folders(ids)
    ex_root = root / "exercises"
    for ex_id, folder in folders.items():
        shutil.copytree(folder, ex_root / ex_id)
    texts: dict[str, dict[str, list[str]]] = {}
    for ex_id, folder in folders.items():
        samples = sorted((folder / "samples").glob("*.proof"))
        texts[ex_id] = {
            "solution": [(folder / "solution.proof").read_text(encoding="utf-8")],
            "right": [p.read_text(encoding="utf-8") for p in samples
                      if p.name.startswith("right")],
            "wrong": [p.read_text(encoding="utf-8") for p in samples
                      if p.name.startswith("wrong")],
        }
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    for n in range(students):
        student = f"s{n:04d}"
        folder = root / "class" / student
        folder.mkdir(parents=True)
        for ex_id in ids:
            r = rng.random()
            kind = next(k for k, share in MIX if r < share)
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "missing":
                continue
            pool = texts[ex_id]
            if kind in ("mistake", "slip"):
                base = pool["solution"][0]
                text = _mistake(base, rng) if kind == "mistake" else _slip(base, rng)
            else:
                text = rng.choice(pool[kind] or pool["solution"])
            (folder / f"{ex_id}.proof").write_text(_vary(text, rng, student), encoding="utf-8")
    return counts


# ------------------------------------------------------------------------------ measuring


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _kb(path: str, field: str) -> int:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak of the summed RSS and PSS of a process and all its descendants."""

    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every_s = every_s
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_processes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            tree = _children()
            todo, pids = [self.pid], []
            while todo:
                p = todo.pop()
                pids.append(p)
                todo += tree.get(p, [])
            rss = sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
            pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self.stop.wait(self.every_s)


@dataclass
class Run:
    label: str
    wall_s: float
    exit_code: int
    peak_rss_mb: float
    peak_pss_mb: float
    processes: int
    report: dict[str, Any]

    @property
    def obligations_per_s(self) -> float:
        return float(self.report.get("obligations", 0)) / self.wall_s if self.wall_s else 0.0


def grade_run(root: Path, label: str, extra: list[str], jobs: int | None,
              budget: float) -> Run:
    out = root / f"out-{label}"
    cmd = [sys.executable, "-m", "checker", "grade", str(root / "class"), "--exercises",
           str(root / "exercises"), "--out", str(out), "--budget", f"{budget:g}", *extra]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    print(f"  {label}: {wall:.1f} s, exit {proc.returncode}\n    " +
          stdout.strip().replace("\n", "\n    "), file=sys.stderr)
    report = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return Run(label, round(wall, 2), proc.returncode, round(sampler.peak_rss_kb / 1024, 1),
               round(sampler.peak_pss_kb / 1024, 1), sampler.peak_processes, report)


def _grades(root: Path, label: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (root / f"out-{label}" / "grades.json").read_text(encoding="utf-8"))
    return {s["student"]: s["exercises"] for s in doc["students"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--exercises", default=",".join(DEFAULT_EXERCISES),
                    help="comma-separated exercise ids (default: five shipped exercises)")
    ap.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    ap.add_argument("--budget", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the run without cache")
    ap.add_argument("--keep", type=Path, help="build the class here and keep it")
    ap.add_argument("--json", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    ids = [i.strip() for i in args.exercises.split(",") if i.strip()]
    root = args.keep or Path(tempfile.mkdtemp(prefix="grading-bench-"))
    if args.keep and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        counts = make_class(root, args.students, ids, args.seed)
        files = sum(v for k, v in counts.items() if k != "missing")
        print(f"class: {args.students} students x {len(ids)} exercises = {files} files "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})", file=sys.stderr)
        runs = [grade_run(root, "cache", [], args.jobs, args.budget)]
        if not args.no_baseline:
            runs.append(grade_run(root, "no-cache", ["--no-cache"], args.jobs, args.budget))
        same = None
        if len(runs) == 2:
            a, b = _grades(root, "cache"), _grades(root, "no-cache")
            same = sum(a[s] == b.get(s) for s in a)
        print_table(runs, files, args, same)
        doc = {
            "students": args.students, "exercises": ids, "files": files, "kinds": counts,
            "budget_s": args.budget, "jobs": args.jobs or os.cpu_count(),
            "cpu_count": os.cpu_count(),
            "runs": [{**{k: v for k, v in vars(r).items() if k != "report"},
                      "obligations_per_s": round(r.obligations_per_s, 1),
                      "obligations": r.report.get("obligations"),
                      "computed": r.report.get("computed"),
                      "cache_hits": r.report.get("cache_hits"),
                      "hit_rate": r.report.get("hit_rate")} for r in runs],
            "students_with_same_grades": same,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def print_table(runs: list[Run], files: int, args: argparse.Namespace,
                same: int | None) -> None:
    print(f"# Grading benchmark: {args.students} students, {files} files, "
          f"budget {args.budget:g} s, {args.jobs or os.cpu_count()} workers\n")
    print("| run | wall s | submissions/s | obligations | checked | cache hits | "
          "obligations/s | peak RSS MB | peak PSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        rep = r.report
        print(f"| {r.label} | {r.wall_s:.1f} | {files / r.wall_s:.1f} | {rep.get('obligations')} "
              f"| {rep.get('computed')} | {rep.get('hit_rate', 0):.1%} | "
              f"{r.obligations_per_s:.0f} | {r.peak_rss_mb:.0f} | {r.peak_pss_mb:.0f} |")
    if len(runs) == 2:
        print(f"\nspeed-up from the cache: {runs[1].wall_s / runs[0].wall_s:.1f}x; "
              f"students with the same grades in both runs: {same}/{args.students}")


if __name__ == "__main__":
    sys.exit(main())
