"""What naming the theorem a step has the shape of costs (checker.library.shapes).

Times, in CPU seconds of this process: building the library's patterns (once per process), and
matching one step against them, for every claim of bench/claims.txt (most match no theorem:
the common case) and for course steps that do match one (tests/test_theorem_advice.py's kind).
Each step is matched twice; the second time is the one reported (SymPy caches warm, as in a
checking process that has already matched a few steps). Prints p50 / p95 / max per group and
how many steps got a theorem.

    python bench/theorem_advice.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COURSE_STEPS = [  # (claim, hypotheses): steps that use a library theorem without citing it
    ("P[|Mean[X, n] - E[X]| >= eps] <= 2*exp(-2*n*eps^2)", ["P[0 <= X <= 1] = 1"]),
    ("P[|Mean[X, n] - E[X]| >= eps] <= 3*exp(-n*eps^2)", ["P[0 <= X <= 1] = 1"]),
    ("P[Dev[H, m] > eps] <= 2*k*exp(-2*m*eps^2)", ["Size[H] <= k"]),
    ("RadS[H, m] <= sqrt(2*log(k)/m)", ["Size[H] <= k"]),
    ("KL[p, q] >= 0", []),
    ("p*log(p/q) + (1 - p)*log((1 - p)/(1 - q)) >= 0", []),
    ("log(1 + exp(z)) >= max(0, z)", []),
    ("CertRadius[f, x, sigma] >= sigma/2*(Phi_inv(pA) - Phi_inv(pB))", []),
    ("|G[F, s, x] - G[F, s, y]| <= Norm[x - y]/(s*sqrt(2*pi))", []),
    ("(1 + 1/n)^n >= 2", []),
    ("log(1 + x^2) <= x^2 + 1", []),
    ("exp(u) <= exp(v)", []),
]


def main() -> int:
    from checker.library.shapes import index, matches
    from checker.library.theorems import default_library
    from checker.obligations import Relation
    from checker.syntax.parse import parse_claim

    def rel(text: str) -> Relation | None:
        try:
            rels = parse_claim(text).relations()
        except Exception:  # a claim of the corpus the scalar parser does not read
            return None
        if len(rels) != 1:
            return None
        (a, op, b), = rels
        return Relation(a.value, op, b.value)

    t = time.process_time()
    default_library()
    load = time.process_time() - t
    t = time.process_time()
    shapes = index()
    build = time.process_time() - t
    print(f"library loaded in {load:.2f} s; {len(shapes)} patterns built in {build:.2f} s (CPU)")

    corpus: list[tuple[str, list[str]]] = []
    for line in (ROOT / "bench" / "claims.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 3:
                corpus.append((parts[2], []))
    for name, steps in (("bench/claims.txt", corpus), ("course steps", COURSE_STEPS)):
        times: list[float] = []
        named = 0
        for claim, hyps in steps:
            r = rel(claim)
            hs = [h for h in (rel(x) for x in hyps) if h is not None]
            if r is None:
                continue
            matches(r, hs)
            t = time.process_time()
            found = matches(r, hs)
            times.append((time.process_time() - t) * 1000)
            named += bool(found)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"{name}: {len(times)} steps, {named} with a theorem; per step CPU "
              f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
