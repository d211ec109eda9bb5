"""The theorem library as text: ``docs/theorems.md`` and ``proofcheck theorems NAME``."""

from __future__ import annotations

from checker.library.theorems import Library, Theorem

HEADER = """# Theorem index

Generated from `theorems/` by `proofcheck theorems --index > docs/theorems.md`; a test keeps it
in sync. Cite a theorem in a proof with `by ID(variable = expression, ...)`; arguments the checker
can find by matching the step may be left out. `proofcheck theorems ID` shows one in full.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_index(lib: Library) -> str:
    out = [HEADER]
    total = len(lib.theorems)
    out.append(f"{total} theorems in {len(lib.files)} files.\n")
    for f in sorted(lib.files, key=lambda f: f.path):
        topic = f.theorems[0].topic if f.theorems else f.path
        out.append(f"## {f.title} (`{topic}`)\n")
        if f.summary:
            out.append(f"{f.summary}\n")
        if f.main:
            out.append("Main statements: " + ", ".join(f"`{m}`" for m in f.main) + ".\n")
        out.append("| id | statement | status | source |")
        out.append("|---|---|---|---|")
        for t in f.theorems:
            statement = t.statement
            if t.texts.get("hypotheses"):
                statement += "  if  " + ", ".join(str(h) for h in t.texts["hypotheses"])
            out.append(f"| `{t.id}` | `{_cell(statement)}` | {t.status} | {_cell(t.source)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_theorem(t: Theorem) -> str:
    lines = [f"{t.id}: {t.name}  ({t.status}, {t.topic})", "", f"  {t.doc}", ""]
    lines.append("  for   " + (", ".join(str(v) for v in t.texts.get("variables", [])) or "-"))
    if t.objects:
        lines.append("  about " + ", ".join(t.objects) + "  (objects: any instance, matched from "
                     "the step or given by name)")
    for h in t.texts.get("hypotheses", []):
        lines.append(f"  if    {h}")
    lines.append(f"  then  {t.statement}")
    if t.equality:
        lines.append(f"  equality: {t.equality}")
    lines += ["", f"  source: {t.source}"]
    if t.url:
        lines.append(f"  {t.url}")
    args = ", ".join(f"{n} = ..." for n in [*t.var_names, *t.objects])
    lines += ["", f"  cite as: by {t.id}({args})"]
    if t.proof:
        lines += ["", "  proof:"] + ["    " + line for line in t.proof.strip().splitlines()]
    return "\n".join(lines)
