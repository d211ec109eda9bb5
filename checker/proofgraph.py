"""Which line of a proof rests on which: the dependency graph every later stage reads.

The elaborator records, for each task (a step, fact, definition, assumption or goal), the
tasks it needs: the facts it cites, the definitions (``let``) its expressions use, the
submission's own assumptions in force, and for a goal the steps of its chain. The checker
computes each verdict once, from the task's own verdict and the verdicts of what it rests on
(``checker.check``); the report, the exercise scoring and the feedback read the same graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class _Node(Protocol):
    kind: str
    rests_on: list[int]

    @property
    def line(self) -> int: ...


@dataclass(frozen=True)
class ProofGraph:
    """Edges from each task (by index) to the tasks it directly rests on (smaller indices)."""

    lines: tuple[int, ...]
    kinds: tuple[str, ...]
    rests_on: tuple[tuple[int, ...], ...]

    @staticmethod
    def of(tasks: Sequence[_Node]) -> ProofGraph:
        edges = []
        for i, t in enumerate(tasks):
            deps = sorted({j for j in t.rests_on if 0 <= j < i})
            edges.append(tuple(deps))
        return ProofGraph(tuple(t.line for t in tasks), tuple(t.kind for t in tasks),
                          tuple(edges))

    def closure(self, i: int) -> list[int]:
        """Every task that task ``i`` rests on, directly or through others (``i`` excluded)."""
        seen: set[int] = set()
        todo = list(self.rests_on[i])
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo += self.rests_on[j]
        return sorted(seen)

    def final_goal(self) -> int | None:
        """The task that says whether the proof reached its goal: the exercise's goal when
        checked against an exercise, else the last ``show``."""
        for kind in ("exercise", "goal"):
            found = [i for i, k in enumerate(self.kinds) if k == kind]
            if found:
                return found[-1]
        return None

    def support(self) -> list[int]:
        """The tasks the final goal rests on (empty when there is no goal)."""
        goal = self.final_goal()
        return [] if goal is None else self.closure(goal)

    def to_json(self) -> list[dict[str, Any]]:
        return [{"task": i, "line": line, "kind": kind,
                 "rests_on_lines": sorted({self.lines[j] for j in deps})}
                for i, (line, kind, deps) in enumerate(zip(self.lines, self.kinds,
                                                           self.rests_on, strict=True))]
