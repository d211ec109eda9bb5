"""Latency of `proofcheck lsp` as a user meets it: from an edit to the diagnostics it causes.

Starts the server as an editor does (`python -m checker lsp`, over stdio, driven by
pytest-lsp's LSP client) and, for each shipped solution (or the first ``--limit``): opens it
(time to the first diagnostics: a cold check), then changes one step, the last chain step
with a justification, by adding ``+ 1`` before its ``by`` (usually making it wrong), and
puts it back. It reports, per file and in all, the time from each ``didChange`` to the
``publishDiagnostics`` that answers it (the server's 0.2 s pause included), and whether the
changed step came back refuted at its line.

    python bench/lsp.py             # every shipped solution
    python bench/lsp.py --limit 8
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parent.parent
STEP = re.compile(r"\s+(=|<=|>=|<|>)\s")


async def fresh(client: LanguageClient, uri: str, before: Any, timeout: float = 180) -> Any:
    """The diagnostics published for ``uri`` after ``before`` (the list seen earlier)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        got = client.diagnostics.get(uri)
        if got is not None and got is not before:
            return got
        await asyncio.sleep(0.005)
    raise TimeoutError(f"no diagnostics for {uri}")


def change(client: LanguageClient, uri: str, version: int, line: int, start: int, end: int,
           text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=start),
                              end=types.Position(line=line, character=end)), text=text)]))


async def run(limit: int | None) -> int:
    files = sorted(ROOT.glob("exercises/*/*/solution.proof"))[:limit]
    cfg = ClientServerConfig(server_command=[sys.executable, "-m", "checker", "lsp"])
    client = await cfg.start()
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=ROOT.as_uri()))
    wrong: list[float] = []
    fixed: list[float] = []
    try:
        for path in files:
            uri, text = path.as_uri(), path.read_text()
            lines = text.split("\n")
            t0 = time.monotonic()
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="proof", version=1,
                                                     text=text)))
            await fresh(client, uri, None)
            opened = time.monotonic() - t0
            steps = [i for i, t in enumerate(lines) if STEP.match(t) and " by " in t]
            row = f"{path.parent.name:40} open {opened:6.2f} s"
            if steps:
                n = steps[-1]
                col = lines[n].index(" by ")
                before, t0 = client.diagnostics[uri], time.monotonic()
                change(client, uri, 2, n, col, col, " + 1")
                got = await fresh(client, uri, before)
                wrong.append(time.monotonic() - t0)
                refuted = any(d.code == "refuted" and d.range.start.line == n for d in got)
                before, t0 = client.diagnostics[uri], time.monotonic()
                change(client, uri, 3, n, col, col + 4, "")
                await fresh(client, uri, before)
                fixed.append(time.monotonic() - t0)
                row += (f"   edit {wrong[-1]:5.2f} s ({'refuted' if refuted else 'not refuted'})"
                        f"   undo {fixed[-1]:5.2f} s")
            print(row, flush=True)
            client.text_document_did_close(types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
    finally:
        await client.shutdown_session()
        await client.stop()
    if wrong:
        print(f"didChange -> diagnostics over {len(wrong)} files: edit median "
              f"{statistics.median(wrong):.2f} s, max {max(wrong):.2f} s; undo median "
              f"{statistics.median(fixed):.2f} s, max {max(fixed):.2f} s")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, help="only the first N shipped solutions")
    return asyncio.run(run(p.parse_args().limit))


if __name__ == "__main__":
    sys.exit(main())
