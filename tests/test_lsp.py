"""`proofcheck lsp` driven over stdio by a real LSP client (pytest-lsp): diagnostics at the
right ranges as a document is opened and edited, hover, completion, go to definition, the
exercise context, hostile input, and the checking process's cancellation and limits."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from checker.lsp.render import content_span
from checker.lsp.server import CheckerProcess, Settings

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "exercises/generalization/finite_class_agnostic/solution.proof"
SERVER = [sys.executable, "-m", "checker", "lsp"]

aio = pytest.mark.asyncio(loop_scope="module")  # one server for the module's async tests

WRONG = """given x in [-2, 2]
have h: (x + 1)^2 = x^2 + 2*x + 1   by algebra
have w: (x + 1)^2 = x^2 + 1   by algebra
have t: exp(x) >= 1 + x   by exp_ge_one_add
have u: exp(x) + 1 >= 2 + x   by t
"""


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> Any:
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=ROOT.as_uri(), initialization_options={"budget": 2.0}))
    yield
    await lsp_client.shutdown_session()


async def published(client: LanguageClient, uri: str, before: Any = None,
                    timeout: float = 90.0) -> list[types.Diagnostic]:
    """Wait for a publication for ``uri`` newer than ``before`` (the list seen earlier)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.diagnostics.get(uri)
        if got is not None and got is not before:
            return list(got)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics for {uri} within {timeout} s")


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="proof", version=version,
                                             text=text)))


def replace(client: LanguageClient, uri: str, version: int, line: int, start: int, end: int,
            text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=start),
                              end=types.Position(line=line, character=end)),
            text=text)]))


def errors(diags: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diags if d.severity == types.DiagnosticSeverity.Error]


async def hover(client: LanguageClient, uri: str, line: int, col: int) -> str:
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=col)))
    assert h is not None
    assert isinstance(h.contents, types.MarkupContent)
    return h.contents.value


@aio
async def test_refuted_step_is_an_error_with_its_counterexample_then_fixed(
        client: LanguageClient) -> None:
    uri = (ROOT / "scratch_wrong.proof").as_uri()  # never written: the buffer is checked
    open_doc(client, uri, WRONG)
    diags = await published(client, uri)
    [err] = errors(diags)
    line = WRONG.split("\n")[2]
    assert err.range.start == types.Position(line=2, character=0)
    assert err.range.end == types.Position(line=2, character=len(line))
    assert err.code == "refuted"
    assert err.source == "proofcheck"
    assert "counterexample: x = " in err.message
    assert "left side" in err.message and "right side" in err.message
    # nothing else is wrong: only the header's absence is mentioned
    assert [d.code for d in diags if d is not err] == ["missing-header"]

    text = await hover(client, uri, 2, 12)
    assert "read as:" in text and "(x + 1)^2 = x^2 + 1" in text
    assert "refuted" in text and "counterexample: x = " in text

    before = client.diagnostics[uri]
    replace(client, uri, 2, 2, len("have w: (x + 1)^2 = x^2"), len("have w: (x + 1)^2 = x^2"),
            " + 2*x")
    diags = await published(client, uri, before)
    assert errors(diags) == []
    assert [d.code for d in diags] == ["missing-header"]


@aio
async def test_parse_errors_are_underlined_where_they_are(client: LanguageClient) -> None:
    uri = (ROOT / "scratch_parse.proof").as_uri()
    text = "given x in [-2, 2]\nhave h: x^2 >= 0 +\nhave g: foo(x) >= 0\n"
    open_doc(client, uri, text)
    diags = errors(await published(client, uri))
    by_code = {d.code: d for d in diags}
    assert set(by_code) == {"expected-expression", "unknown-function"}
    plus = by_code["expected-expression"].range
    assert (plus.start.line, plus.start.character, plus.end.character) == (1, 17, 18)
    foo = by_code["unknown-function"]
    assert (foo.range.start.line, foo.range.start.character, foo.range.end.character) == (2, 8, 11)
    assert "did you mean 'floor'" in foo.message


@aio
async def test_positions_are_utf16_code_units(client: LanguageClient) -> None:
    # "≤" is one UTF-16 unit and "𝑥" (outside the BMP) two: a comment with "𝑥" before a
    # wrong step on the line below must not shift it, and ranges count UTF-16 units
    uri = (ROOT / "scratch_utf16.proof").as_uri()
    text = "# 𝑥𝑥 notes\ngiven x in [0, 1]\nhave w: x^2 ≤ x - 1   by algebra   # 𝑥\n"
    open_doc(client, uri, text)
    [err] = errors(await published(client, uri))
    body = "have w: x^2 ≤ x - 1   by algebra"
    assert err.range.start == types.Position(line=2, character=0)
    assert err.range.end == types.Position(line=2, character=len(body))


@aio
async def test_completion_offers_theorems_with_statements_after_by(
        client: LanguageClient) -> None:
    uri = (ROOT / "scratch_complete.proof").as_uri()
    text = "given x in [-2, 2]\nhave t: exp(x) >= 1 + x   by \n"
    open_doc(client, uri, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=len("have t: exp(x) >= 1 + x   by "))))
    assert isinstance(result, types.CompletionList)
    items = {i.label: i for i in result.items}
    assert items["exp_ge_one_add"].detail == "exp(x) >= 1 + x"
    assert {"algebra", "numeric"} <= set(items)
    # not after `by`: keywords at the start of a line, no theorems
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=2, character=0)))
    assert isinstance(result, types.CompletionList)
    labels = {i.label for i in result.items}
    assert "have" in labels and "exp_ge_one_add" not in labels


@aio
async def test_definition_opens_the_theorem_entry_and_the_fact(client: LanguageClient) -> None:
    uri = (ROOT / "scratch_definition.proof").as_uri()  # each test opens its own documents:
    open_doc(client, uri, WRONG)  # under xdist, tests of a module run in several servers
    line = WRONG.split("\n")[3]
    col = line.index("exp_ge_one_add") + 3
    loc = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=3, character=col)))
    assert isinstance(loc, types.Location)
    path = ROOT / "theorems/elementary/exp_log.toml"
    assert loc.uri == path.as_uri()
    entry = path.read_text().split("\n")[loc.range.start.line]
    assert entry == 'id = "exp_ge_one_add"'
    # a cited fact: its `have` line in the same document
    line = WRONG.split("\n")[4]
    loc = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=4, character=line.rindex("t"))))
    assert isinstance(loc, types.Location)
    assert (loc.uri, loc.range.start.line) == (uri, 3)
    # a name outside a justification is not a citation
    line = WRONG.split("\n")[3]
    loc = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=3, character=line.index("exp") + 1)))
    assert loc is None


@aio
async def test_hover_on_a_cited_theorem_shows_its_statement(client: LanguageClient) -> None:
    uri = (ROOT / "scratch_hover.proof").as_uri()
    open_doc(client, uri, WRONG)
    line = WRONG.split("\n")[3]
    text = await hover(client, uri, 3, line.index("exp_ge_one_add") + 1)
    assert "**exp_ge_one_add**" in text and "then exp(x) >= 1 + x" in text


@aio
async def test_a_shipped_solution_against_its_exercise_and_an_edit_in_about_a_second(
        client: LanguageClient) -> None:
    uri = SOLUTION.as_uri()
    text = SOLUTION.read_text()
    open_doc(client, uri, text)
    diags = await published(client, uri)
    assert errors(diags) == []
    [summary] = [d for d in diags if d.code == "exercise"]
    assert "passed" in summary.message and "score 10/10" in summary.message
    lines = text.split("\n")
    n = next(i for i, t in enumerate(lines) if "= 2*H*(delta/(2*H))" in t)
    start = lines[n].index("(delta/(2*H))")
    # a wrong step typed into the checked proof: underlined, with its counterexample
    before = client.diagnostics[uri]
    t0 = time.monotonic()
    replace(client, uri, 2, n, start, start + len("(delta/(2*H))"), "(delta/H)")
    diags = await published(client, uri, before)
    wrong_s = time.monotonic() - t0
    refuted = [d for d in errors(diags) if d.code == "refuted"]
    # the wrong step, and the next one (from the wrong value on, 2*delta = delta is false)
    assert [d.range.start.line for d in refuted] == [n, n + 1]
    assert all("counterexample" in d.message for d in refuted)
    before = client.diagnostics[uri]
    t0 = time.monotonic()
    replace(client, uri, 3, n, start, start + len("(delta/H)"), "(delta/(2*H))")
    diags = await published(client, uri, before)
    fixed_s = time.monotonic() - t0
    assert errors(diags) == []
    print(f"\ndidChange -> diagnostics on {SOLUTION.name}: wrong step {wrong_s:.2f} s, "
          f"fixed {fixed_s:.2f} s (debounce 0.2 s included)")
    # (speed targets live in bench/lsp.py and docs/editors.md, not in timed assertions)


@aio
async def test_hostile_input_gets_a_coded_error_and_the_server_stays_up(
        client: LanguageClient) -> None:
    uri = (ROOT / "scratch_hostile.proof").as_uri()
    text = "given x in [0, 1]\nhave h: " + "(" * 300 + "x" + ")" * 300 + " >= 0\n"
    open_doc(client, uri, text)
    diags = errors(await published(client, uri))
    assert [d.code for d in diags] == ["nesting-too-deep"]
    assert diags[0].range.start.line == 1
    # the server goes on: the same buffer made harmless is checked afresh
    before = client.diagnostics[uri]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text="given x in [0, 1]\nhave h: x^2 >= 0   by algebra\n")]))
    diags = await published(client, uri, before)
    assert [d.code for d in diags] == ["missing-header"]


@aio
async def test_an_edit_during_a_check_cancels_it_and_only_the_new_version_is_shown(
        client: LanguageClient) -> None:
    warm = (ROOT / "scratch_warm.proof").as_uri()  # the checking process is up
    open_doc(client, warm, "have h: 1 + 1 = 2\n")
    await published(client, warm)
    uri = (ROOT / "scratch_cancel.proof").as_uri()
    old = _many_claims(40) + "have bad: x + 1 = x   by algebra\n"
    open_doc(client, uri, old)
    await asyncio.sleep(1.0)  # the pause has passed: the long check is running
    t0 = time.monotonic()
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=WRONG)]))
    diags = await published(client, uri)  # the first publication for this document
    took = time.monotonic() - t0
    [err] = errors(diags)  # WRONG's refuted line, not the old text's
    assert err.range.start.line == 2 and "counterexample: x = " in err.message
    print(f"\nan edit during a check: the new version's diagnostics after {took:.2f} s")


@aio
async def test_close_clears_the_diagnostics(client: LanguageClient) -> None:
    uri = (ROOT / "scratch_close.proof").as_uri()
    open_doc(client, uri, "have h: x^2 >= 0 +\n")
    before = await published(client, uri)
    assert errors(before)
    before = client.diagnostics[uri]
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await published(client, uri, before) == []


def test_content_span_underlines_the_statement_without_its_comment() -> None:
    assert content_span("  = x + 1   by algebra  # why", 2) == (2, 22)
    assert content_span("have h: x >= 0 +", 16) == (15, 16)  # at the end: the last sign
    assert content_span("", 0) == (0, 0)


def test_settings_from_initialization_options() -> None:
    s = Settings()
    assert s.update({"budget": 3, "exercises": "mine", "timeout": 30}, "/root/x") == []
    assert (s.budget_s, s.exercises, s.timeout_s) == (3.0, Path("/root/x/mine"), 30.0)
    bad = s.update({"budget": -1, "memoryMB": "lots", "exercises": 7}, None)
    assert len(bad) == 3 and s.budget_s == 3.0 and s.memory_mb == 2048
    assert s.update("nonsense", None) == ["initializationOptions must be an object"]


def _many_claims(n: int) -> str:
    lines = ["given x in [1, 2]"]
    lines += [f"have h{k}: log(x + {k}) <= x + {k} - 1 + exp(-{k}*x)   by algebra"
              for k in range(1, n + 1)]
    return "\n".join(lines) + "\n"


def test_a_cancelled_check_stops_and_the_checking_process_goes_on() -> None:
    import threading

    proc = CheckerProcess(Settings(budget_s=2.0, timeout_s=60.0))
    try:
        assert proc.run(1, "given x in [0, 1]\nhave h: x^2 <= x   by algebra\n", "a.proof",
                        {"budget": 2.0})[0] == "done"  # started, engines loaded
        timer = threading.Timer(0.5, proc.cancel)
        timer.start()
        out = proc.run(2, _many_claims(40), "b.proof", {"budget": 2.0})
        assert out[0] == "cancelled"  # not "done": the 40 claims were not all checked
        # the same process goes on serving (its cache keeps what the cancelled check settled)
        assert proc.run(3, "have h: 1 + 1 = 2\n", "c.proof", {"budget": 2.0})[0] == "done"
    finally:
        proc.stop()


def test_the_vscode_extension_starts_proofcheck_lsp_for_proof_files() -> None:
    """The extension is not installed in CI (no npm): its files are checked as they are."""
    import json
    import re

    folder = ROOT / "editors/vscode"
    manifest = json.loads((folder / "package.json").read_text())
    [lang] = manifest["contributes"]["languages"]
    assert lang["id"] == "proof" and lang["extensions"] == [".proof"]
    assert (folder / lang["configuration"]).is_file()
    json.loads((folder / lang["configuration"]).read_text())
    [grammar] = manifest["contributes"]["grammars"]
    assert grammar["language"] == "proof"
    assert "vscode-languageclient" in manifest["dependencies"]
    assert manifest["contributes"]["configuration"]["properties"]["proofcheck.command"][
        "default"] == ["proofcheck", "lsp"]
    script = (folder / manifest["main"]).read_text()
    assert 'require("vscode-languageclient/node")' in script
    assert 'language: "proof"' in script
    # the grammar's patterns compile (Python's re reads these Oniguruma patterns alike), and
    # they find the keywords, a theorem cited after `by` and a comment in a shipped proof
    tm = json.loads((folder / grammar["path"]).read_text())
    assert tm["scopeName"] == grammar["scopeName"]
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("match", "begin", "end"):
                if key in node:
                    re.compile(node[key])  # raises on a pattern that does not compile
                    found[node[key]] = node.get("name", "")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tm)
    assert len(found) > 10
    by = tm["repository"]["justification"]
    assert re.search(by["begin"], "    = x + 1   by exp_ge_one_add")
    header = tm["repository"]["header"]["match"]
    assert re.match(header, "exercise finite_class_agnostic").group(2) == "finite_class_agnostic"


def test_check_document_resolves_the_exercise_and_groups_by_line() -> None:
    from checker.obligations import Status
    from checker.session import by_line, check_document

    text = SOLUTION.read_text().replace("= 2*H*(delta/(2*H))", "= 2*H*(delta/H)")
    result = check_document(text, "buffer.proof")
    assert result.assessment is not None and not result.assessment.passed
    lines = by_line(result)
    n = 1 + text.split("\n").index(next(t for t in text.split("\n") if "(delta/H)" in t))
    assert lines[n].status == "refuted"
    worst = lines[n].worst
    assert worst is not None and worst.status is Status.REFUTED
    assert worst.counterexample is not None
    assert lines[n].to_json()["read_as"][0].startswith("(2 * H) * exp(")
    # hostile or broken text: coded diagnostics, never an exception
    huge = check_document("x" * (300 * 1024), "big.proof")
    assert [d.code for d in huge.diagnostics] == ["file-too-large"]
    bad = check_document("exercise no_such_thing\nhave h: 1 = 1\n", "b.proof")
    assert "unknown-exercise" in [d.code for d in bad.diagnostics]


def test_bounded_cache_keeps_the_most_recent_and_never_a_time_limited_verdict() -> None:
    from checker.obligations import TIME_LIMIT, Status, Verdict
    from checker.session import BoundedCache

    cache = BoundedCache(2)
    v = Verdict(Status.PROVED, "sympy", "identity")
    cache.put("a", v)
    cache.put("b", v)
    assert cache.get("a") is v  # "a" is now the most recent
    cache.put("c", v)
    assert cache.get("b") is None and cache.get("a") is v and cache.get("c") is v
    cache.put("d", Verdict(Status.UNKNOWN, "portfolio", f"{TIME_LIMIT}: stopped"))
    assert cache.get("d") is None


def test_the_editor_cache_reuses_a_time_limited_verdict_only_for_a_while(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.lsp import worker
    from checker.obligations import TIME_LIMIT, Status, Verdict

    cache = worker.EditorCache()
    slow = Verdict(Status.UNKNOWN, "portfolio", f"{TIME_LIMIT}: the check was stopped")
    assert slow.time_limited
    cache.put("k", slow)
    assert cache.get("k") is slow
    assert cache.lasting.get("k") is None  # never in the lasting cache
    monkeypatch.setattr(worker, "TIME_LIMITED_TTL_S", 0.0)
    assert cache.get("k") is None  # then tried again
    proved = Verdict(Status.PROVED, "sympy", "identity")
    cache.put("p", proved)
    assert cache.get("p") is proved


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[*SERVER, "--timeout", "4"]))
async def limited(lsp_client: LanguageClient) -> Any:
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=ROOT.as_uri(),
        initialization_options={"exercises": "exercises/generalization"}))
    yield
    await lsp_client.shutdown_session()


@aio
async def test_exercise_headers_resolve_against_the_configured_folder(
        limited: LanguageClient) -> None:
    # initializationOptions: exercises = "exercises/generalization", relative to the root
    inside = (ROOT / "scratch_inside.proof").as_uri()
    open_doc(limited, inside, "exercise finite_class_agnostic\nhave h: 1 + 1 = 2\n")
    codes = [d.code for d in await published(limited, inside)]
    assert "exercise" in codes and "unknown-exercise" not in codes
    outside = (ROOT / "scratch_outside.proof").as_uri()
    open_doc(limited, outside, "exercise kl_gaussian_standard\nhave h: 1 + 1 = 2\n")
    [unknown] = [d for d in await published(limited, outside) if d.code == "unknown-exercise"]
    assert unknown.range.start == types.Position(line=0, character=len("exercise "))


@aio
async def test_a_check_over_the_time_limit_is_a_warning_and_the_server_goes_on(
        limited: LanguageClient) -> None:
    warm = (ROOT / "scratch_limit_warm.proof").as_uri()
    open_doc(limited, warm, "have h: 1 + 1 = 2\n")
    await published(limited, warm)  # the checking process is up
    uri = (ROOT / "scratch_limit.proof").as_uri()
    # 1,000 steps of 20-80 ms each: many times the limit, however fast the machine
    open_doc(limited, uri, _many_claims(1000))
    [warning] = await published(limited, uri)
    assert warning.code == "resource-limit"
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert "took longer than 4 s" in warning.message
    # the next version is checked by a fresh checking process
    before = limited.diagnostics[uri]
    limited.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=WRONG)]))
    [err] = errors(await published(limited, uri, before))
    assert err.code == "refuted" and err.range.start.line == 2


# `proofcheck lsp` with SIGINT as in a terminal (a test run may have it ignored: its children too)
CTRL_C_SERVER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from checker.cli import main
sys.exit(main(["lsp"]))
"""


def _lsp_message(stream: Any) -> dict[str, Any]:
    length = 0
    while line := stream.readline().strip():
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    assert length, "the server closed its output"
    doc: dict[str, Any] = json.loads(stream.read(length))
    return doc


@pytest.mark.slow  # a server process: its start-up takes 1.5-4 s
def test_ctrl_c_ends_the_server_at_once() -> None:
    """Ctrl-C ends the server (exit 130) while the editor still holds stdin open: pygls alone
    would wait for its thread reading stdin, that is, forever."""
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_SERVER], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"processId": None, "rootUri": None,
                                      "capabilities": {}}}).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        proc.stdin.flush()
        while _lsp_message(proc.stdout).get("id") != 1:  # the server is up
            pass
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130  # the timeout is a hang guard
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()
