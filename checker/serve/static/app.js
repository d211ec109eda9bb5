// proofcheck playground: the page's behaviour. Plain JavaScript, no library, no network
// beyond this server's own JSON API (docs/playground.md).
"use strict";

const PAUSE_MS = 500;  // check after this long without typing
const MARKS = { proved: "✓", refuted: "✗", plausible: "≈", unknown: "?", error: "!",
                warning: "!" };

const $ = (id) => document.getElementById(id);
const state = { exercise: null, lines: new Map(), selected: 0, seq: 0, shown: 0, timer: 0,
                hintsShown: 0, result: null };

function clientId() {
  let id = localStorage.getItem("proofcheck-client");
  if (!id) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("proofcheck-client", id);
  }
  return id;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function setStatus(text) { $("status").textContent = text; }

// ---------------------------------------------------------------- exercises

async function loadExercises() {
  const res = await fetch("/api/exercises");
  const doc = await res.json();
  const picker = $("exercise-picker");
  picker.textContent = "";
  picker.append(el("option", { value: "" }, "(no exercise: a free proof)"));
  let group = null, topic = null;
  for (const ex of doc.exercises) {
    if (ex.topic !== topic) {
      topic = ex.topic;
      group = el("optgroup", { label: topic });
      picker.append(group);
    }
    group.append(el("option", { value: ex.id }, `${ex.id}: ${ex.title}`));
  }
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted && doc.exercises.some((e) => e.id === wanted)) {
    picker.value = wanted;
    await pickExercise(wanted);
  } else {
    setStatus("ready");
  }
}

function fillList(id, items, render) {
  const list = $(id);
  list.textContent = "";
  for (const item of items) {
    const li = el("li");
    render(li, item);
    list.append(li);
  }
}

async function pickExercise(id) {
  if (!id) {
    state.exercise = null;
    $("ex-title").textContent = "A free proof";
    for (const x of ["ex-statement", "ex-givens", "ex-goal", "ex-allowed", "ex-hints"]) {
      $(x).textContent = "";
    }
    $("hint-button").disabled = true;
    location.hash = "";
    scheduleCheck(0);
    return;
  }
  const res = await fetch(`/api/exercises/${encodeURIComponent(id)}`);
  if (!res.ok) { setStatus(`cannot load ${id}`); return; }
  const ex = await res.json();
  state.exercise = ex;
  state.hintsShown = 0;
  location.hash = ex.id;
  $("ex-title").textContent = ex.title;
  // the server renders statement, givens and goal as HTML with MathML (from exercise files)
  $("ex-statement").innerHTML = ex.statement_html;
  fillList("ex-givens", ex.givens, (li, g) => { li.innerHTML = g.html; li.title = g.text; });
  $("ex-definitions-box").hidden = ex.definitions.length === 0;
  fillList("ex-definitions", ex.definitions, (li, d) => { li.innerHTML = d.html; li.title = d.text; });
  $("ex-goal").innerHTML = ex.goal.html;
  $("ex-goal").title = ex.goal.text;
  if (ex.allowed === null) {
    fillList("ex-allowed", ["any theorem of the course library"], (li, t) => { li.textContent = t; });
  } else if (ex.allowed.length === 0) {
    fillList("ex-allowed", ["none: algebra only"], (li, t) => { li.textContent = t; });
  } else {
    fillList("ex-allowed", ex.allowed, (li, t) => {
      li.append(el("code", {}, t.name), ": ");
      const span = el("span", { title: t.statement });
      span.innerHTML = t.html;
      li.append(span);
    });
  }
  $("ex-milestones-box").hidden = ex.milestones.length === 0;
  fillList("ex-milestones", ex.milestones, (li, m) => { li.innerHTML = m.html; li.title = m.text; });
  $("ex-hints").textContent = "";
  $("hint-button").disabled = ex.hints.length === 0;
  const draft = localStorage.getItem(`proofcheck-draft:${ex.id}`);
  setText(draft || ex.starter);
  scheduleCheck(0);
}

function showHint() {
  const ex = state.exercise;
  if (!ex || state.hintsShown >= ex.hints.length) return;
  $("ex-hints").append(el("li", {}, ex.hints[state.hintsShown]));
  state.hintsShown += 1;
  $("hint-button").disabled = state.hintsShown >= ex.hints.length;
}

// ---------------------------------------------------------------- editor and gutter

function setText(text) {
  $("editor").value = text;
  state.lines = new Map();
  renderGutter();
}

function lineCount() { return $("editor").value.split("\n").length; }

function renderGutter() {
  const gutter = $("gutter");
  const n = lineCount();
  gutter.textContent = "";
  for (let i = 1; i <= n; i++) {
    const rep = state.lines.get(i);
    const status = rep ? rep.status : "";
    const div = el("div", { class: "gl" + (i === state.selected ? " selected" : ""),
                            "data-line": String(i), "data-status": status,
                            title: rep ? rep.label : "" },
                   el("span", { class: "num" }, String(i)),
                   el("span", { class: `mark ${status}` }, MARKS[status] || ""));
    div.addEventListener("click", () => selectLine(i));
    gutter.append(div);
  }
  gutter.scrollTop = $("editor").scrollTop;
}

function caretLine() {
  const ed = $("editor");
  return ed.value.slice(0, ed.selectionStart).split("\n").length;
}

function selectLine(n) {
  state.selected = n;
  for (const div of $("gutter").children) {
    div.classList.toggle("selected", Number(div.dataset.line) === n);
  }
  renderDetail();
}

function renderDetail() {
  const box = $("detail");
  box.textContent = "";
  const n = state.selected;
  const rep = state.lines.get(n);
  if (!rep) {
    box.append(el("h3", {}, n ? `Line ${n}` : "Line details"),
               el("p", { class: "muted" }, n ? "Nothing to report on this line (a comment, a "
                 + "blank line or a line still being checked)." :
                 "Click a line number to see how the line was read, which engine decided it "
                 + "and why."));
    return;
  }
  box.dataset.line = String(n);
  box.append(el("h3", {}, el("span", { class: `mark ${rep.status}` }, MARKS[rep.status] || ""),
                ` Line ${n}: ${rep.label}`));
  if (rep.engine || rep.reason) {
    box.append(el("p", {}, el("b", {}, "Engine: "), rep.engine || "-",
                  rep.reason ? ` (${rep.reason})` : ""));
  }
  if (rep.read_as.length) {
    box.append(el("p", {}, el("b", {}, "Read as (fully parenthesized):")));
    const ul = el("ul", { class: "read-as mono" });
    for (const r of rep.read_as) ul.append(el("li", {}, r));
    box.append(ul);
  }
  if (rep.counterexample) {
    const table = el("table", { id: "cx-table" },
                     el("tr", {}, el("th", {}, "variable"), el("th", {}, "value"),
                        el("th", {}, "≈")));
    for (const row of rep.counterexample) {
      table.append(el("tr", {}, el("td", { class: "mono" }, row.name),
                      el("td", { class: "mono" }, row.value),
                      el("td", { class: "mono" }, row.decimal)));
    }
    table.append(el("tr", {}, el("td", {}, "left side"), el("td", { class: "mono", colspan: "2" },
                                                          rep.lhs ?? "")));
    table.append(el("tr", {}, el("td", {}, "right side"), el("td", { class: "mono", colspan: "2" },
                                                           rep.rhs ?? "")));
    box.append(el("p", {}, el("b", {}, "Counterexample:")), table);
  }
  if (rep.items.length > 1) {
    box.append(el("p", {}, el("b", {}, "Everything checked on this line:")));
    const ul = el("ul");
    for (const it of rep.items) {
      ul.append(el("li", {}, el("span", { class: `mark ${it.verdict}` }, MARKS[it.verdict] || ""),
                   ` ${it.text}: ${it.label}`, it.reason ? ` [${it.engine}: ${it.reason}]` : ""));
    }
    box.append(ul);
  }
  for (const d of rep.diagnostics) {
    box.append(el("p", { class: "diag" }, `${d.severity}: ${d.message} [${d.code}]`));
  }
  for (const note of rep.notes) box.append(el("p", { class: "hint" }, "💡 " + note));
  if (rep.rechecked === false && rep.items.length) {
    box.append(el("p", { class: "muted" }, "(answered from the verdict cache: the line and "
                 + "what it rests on did not change)"));
  }
}

// ---------------------------------------------------------------- checking

function scheduleCheck(delay = PAUSE_MS) {
  clearTimeout(state.timer);
  state.timer = setTimeout(runCheck, delay);
}

async function runCheck() {
  const text = $("editor").value;
  if (state.exercise) localStorage.setItem(`proofcheck-draft:${state.exercise.id}`, text);
  const seq = ++state.seq;
  setStatus("checking…");
  $("gutter").classList.add("stale");
  let res, doc;
  try {
    res = await fetch("/api/check", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Client-Id": clientId() },
      body: JSON.stringify({ text }),
    });
    doc = await res.json();
  } catch (err) {
    if (seq === state.seq) setStatus(`the server did not answer (${err})`);
    return;
  }
  if (seq !== state.seq) return;  // a newer version is on its way
  $("gutter").classList.remove("stale");
  if (!res.ok) {
    const e = doc.error || { code: "?", message: res.statusText };
    setStatus(`not checked: ${e.message} [${e.code}]`);
    if (e.code === "server-busy") scheduleCheck(2000);
    return;
  }
  const codes = doc.diagnostics.map((d) => d.code);
  if (codes.includes("request-superseded")) return;
  if (codes.includes("server-busy")) {  // stopped for quicker checks: go on in a moment
    setStatus("the server is busy; checking again in a moment…");
    scheduleCheck(2000);
    return;
  }
  showResult(doc);
}

function showResult(doc) {
  state.result = doc;
  state.lines = new Map(doc.lines.map((l) => [l.line, l]));
  renderGutter();
  const msgs = $("messages");
  msgs.textContent = "";
  for (const d of doc.diagnostics) {
    if (d.line > 0 && state.lines.has(d.line)) continue;  // shown at its line
    msgs.append(el("div", { class: `diag ${d.severity}` },
                   `${d.line ? `line ${d.line}: ` : ""}${d.severity}: ${d.message} [${d.code}]`));
  }
  for (const n of doc.notes) {
    if (!state.lines.has(n.line)) msgs.append(el("div", { class: "diag warning" }, n.text));
  }
  const goal = $("goal-status");
  const score = $("score");
  const a = doc.assessment;
  if (doc.blocked) {
    const errors = doc.diagnostics.filter((d) => d.severity === "error").length;
    goal.dataset.state = "blocked";
    goal.textContent = `Not checked: ${errors} error${errors === 1 ? "" : "s"} to fix first.`;
    score.textContent = "";
  } else if (a) {
    goal.dataset.state = a.passed ? "reached" : "not-reached";
    goal.textContent = a.passed ? `Goal reached: ${a.summary}` : a.summary;
    score.textContent = `score ${a.score} / ${a.max_score}`;
    for (const h of a.hints) msgs.append(el("div", { class: "diag warning" }, "hint: " + h));
  } else {
    const s = doc.summary;
    goal.dataset.state = "none";
    goal.textContent = `${s.proved} proved, ${s.refuted} refuted, ${s.plausible} plausible, `
      + `${s.unknown} unknown`;
    score.textContent = "";
  }
  const st = doc.stats || {};
  const how = st.from_memory ? "answered from memory" :
    `${st.computed ?? 0} checked, ${st.cached ?? 0} from the cache, ${st.time_s ?? "?"} s`;
  setStatus(`checked (${how})`);
  if (!state.selected) {
    const first = doc.lines.find((l) => l.status !== "proved");
    if (first) state.selected = first.line;
  }
  selectLine(state.selected);
}

function download() {
  const text = $("editor").value;
  const name = (state.exercise ? state.exercise.id : "proof") + ".proof";
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function start() {
  const ed = $("editor");
  ed.addEventListener("input", () => { renderGutter(); scheduleCheck(); });
  ed.addEventListener("scroll", () => { $("gutter").scrollTop = ed.scrollTop; });
  ed.addEventListener("click", () => selectLine(caretLine()));
  ed.addEventListener("keyup", (e) => {
    if (e.key.startsWith("Arrow") || e.key === "Enter") selectLine(caretLine());
  });
  ed.addEventListener("keydown", (e) => {
    if (e.key === "Tab") {  // two spaces, as the shipped proofs indent chains
      e.preventDefault();
      ed.setRangeText("  ", ed.selectionStart, ed.selectionEnd, "end");
      renderGutter();
      scheduleCheck();
    }
  });
  $("exercise-picker").addEventListener("change", (e) => pickExercise(e.target.value));
  $("hint-button").addEventListener("click", showHint);
  $("download-button").addEventListener("click", download);
  $("reset-button").addEventListener("click", () => {
    if (state.exercise) {
      localStorage.removeItem(`proofcheck-draft:${state.exercise.id}`);
      setText(state.exercise.starter);
    } else {
      setText("");
    }
    scheduleCheck(0);
  });
  renderGutter();
  loadExercises().catch((err) => setStatus(`cannot load the exercises (${err})`));
}

document.addEventListener("DOMContentLoaded", start);
