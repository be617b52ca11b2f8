// kgedit web page: plain JavaScript over the /v1 API, no libraries, nothing fetched from outside.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { relations: [], center: null, newPairs: new Set() };

// ---- API ---------------------------------------------------------------------------------------------------

function token() { return localStorage.getItem("kgedit-token") || ""; }

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const err = new Error(`${data.error || response.status}: ${data.detail || response.statusText}`);
    err.status = response.status;
    throw err;
  }
  return data;
}

function say(text, kind = "ok") {
  const el = $("status");
  el.textContent = text;
  el.className = kind;
}

async function guarded(fn) {
  try { await fn(); } catch (e) { say(e.message, "error"); }
}

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

// ---- auth --------------------------------------------------------------------------------------------------

function takeTokenFromAddress() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem("kgedit-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
}

async function signIn() {
  $("token").value = token();
  if (!token()) { $("whoami").textContent = "no token: run `kgedit users token $(whoami)`"; return false; }
  try {
    const me = await api("GET", "/v1/me");
    $("whoami").textContent = `${me.name} (${me.role})`;
    return true;
  } catch (e) {
    $("whoami").textContent = "token refused";
    say(e.message, "error");
    return false;
  }
}

// ---- graph -------------------------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs) => {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
};

async function showEntity(name) {
  const depth = Number($("depth").value);
  const facts = await api("GET", `/v1/neighbourhood/${encodeURIComponent(name)}?depth=${depth}`);
  const entity = await api("GET", `/v1/entities/${encodeURIComponent(name)}`);
  state.center = entity;
  $("entity").value = entity.name;
  drawGraph(entity, facts);
}

// Radial layout: the entity in the middle, its neighbours on one or two rings, one line per related pair.
function drawGraph(center, facts) {
  const W = 900, H = 560, cx = W / 2, cy = H / 2;
  const names = new Map([[center.id, center.name]]);
  const pairs = new Map();  // one line per related pair, whatever the direction; arrows show which
  for (const f of facts) {
    names.set(f.subject, f.subject_name); names.set(f.object, f.object_name);
    const key = [f.subject, f.object].sort().join("\u0000");
    if (!pairs.has(key)) pairs.set(key, { s: f.subject, o: f.object, preds: [], dirs: new Set(), isNew: false });
    const p = pairs.get(key);
    p.preds.push(f.pred);
    p.dirs.add(`${f.subject}>${f.object}`);
    if (state.newPairs.has(`${f.subject_name}>${f.object_name}`.toLowerCase())) p.isNew = true;
  }
  const others = [...names.keys()].filter((id) => id !== center.id).sort((a, b) => names.get(a).localeCompare(names.get(b)));
  const pos = new Map([[center.id, [cx, cy]]]);
  const inner = Math.min(others.length, 18);
  others.forEach((id, i) => {
    const ring = i < inner ? 0 : 1;
    const count = ring ? others.length - inner : inner;
    const k = ring ? i - inner : i;
    const angle = (2 * Math.PI * k) / Math.max(count, 1) + (ring ? Math.PI / Math.max(count, 1) : -Math.PI / 2);
    const r = ring ? 255 : 170;
    pos.set(id, [cx + r * 1.45 * Math.cos(angle), cy + r * Math.sin(angle)]);
  });
  const edges = $("edges"), nodes = $("nodes");
  edges.replaceChildren(); nodes.replaceChildren();
  for (const p of pairs.values()) {
    const [x1, y1] = pos.get(p.s), [x2, y2] = pos.get(p.o);
    const len = Math.hypot(x2 - x1, y2 - y1) || 1, pad = 16;
    const line = svgEl("line", { x1: x1 + (x2 - x1) * pad / len, y1: y1 + (y2 - y1) * pad / len,
      x2: x2 - (x2 - x1) * pad / len, y2: y2 - (y2 - y1) * pad / len, class: "edge" + (p.isNew ? " new" : ""),
      "data-pair": [...p.dirs].join(" ") });
    if (p.dirs.has(`${p.s}>${p.o}`)) line.setAttribute("marker-end", "url(#arrow)");
    if (p.dirs.has(`${p.o}>${p.s}`)) line.setAttribute("marker-start", "url(#arrow)");
    edges.append(line);
    const label = svgEl("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 3, class: "edge-label", "text-anchor": "middle" });
    label.textContent = [...new Set(p.preds)].join(", ");
    edges.append(label);
  }
  for (const [id, [x, y]] of pos) {
    const g = svgEl("g", { class: "node" + (id === center.id ? " center" : ""), "data-id": id, transform: `translate(${x},${y})` });
    g.append(svgEl("circle", { r: id === center.id ? 14 : 9 }));
    const t = svgEl("text", { y: id === center.id ? 30 : 22, "text-anchor": "middle" });
    t.textContent = names.get(id);
    g.append(t);
    g.addEventListener("click", () => guarded(() => showEntity(id)));
    nodes.append(g);
  }
  $("graph-caption").textContent = `${center.name}: ${facts.length} facts, ${others.length} neighbours (click one to recentre)`;
}

// ---- edits -------------------------------------------------------------------------------------------------

function triple() {
  return { subject: $("subject").value.trim(), relation: $("relation").value.trim(), object: $("object").value.trim() };
}

function promptFor(t) {
  const rel = state.relations.find((r) => r.name === t.relation || (r.aliases || []).includes(t.relation));
  const template = rel && rel.prompts && rel.prompts.en && rel.prompts.en[0];
  return template ? template.replace("{subject}", t.subject) : `${t.subject} ${t.relation}`;
}

async function ask(prompt) {
  const out = await api("POST", "/v1/generate", { prompts: [prompt], max_new_tokens: 12, chat: false });
  return out.outputs[0];
}

async function submit(kind) {
  const t = triple();
  const compare = $("compare").checked;
  const prompt = promptFor(t);
  $("prompt").value = prompt;
  if (compare) {
    $("model-before").textContent = "…";
    $("model-before").textContent = await ask(prompt).catch((e) => e.message);
  }
  say(kind === "edit" ? "editing…" : "forgetting…");
  const body = kind === "edit" ? { triples: [t] } : { triples: [{ ...t, object: t.object || null }] };
  const outcome = await api("POST", kind === "edit" ? "/v1/edits" : "/v1/forget", body);
  showOutcome(outcome);
  if (compare) $("model-after").textContent = await ask(prompt).catch((e) => e.message);
  await refresh(t.subject);
}

function showOutcome(o) {
  const box = $("edit-result");
  box.replaceChildren(el("div", {}, `${o.kind} ${o.edit_id}: ${o.status}` + (o.version != null ? ` → version ${o.version}` : "")));
  for (const f of o.added || []) box.append(el("div", { class: "added" }, `+ ${f.subject} —${f.relation}→ ${f.object}` + (f.role !== "primary" ? ` (${f.role})` : "")));
  for (const f of o.retired || []) box.append(el("div", { class: "retired" }, `− ${f.subject_name} —${f.pred}→ ${f.object_name}`));
  for (const r of o.reasons || []) box.append(el("div", {}, `! ${r}`));
  const verify = o.model && o.model.outputs ? Object.entries(o.model.outputs).map(([k, v]) => `${k}: ${v}`).join("\n") : "KG only (no model edit)";
  $("model-verify").textContent = verify;
  state.newPairs = new Set((o.added || []).map((f) => `${f.subject}>${f.object}`.toLowerCase()));
  say(`${o.kind} ${o.status}` + (o.version != null ? ` (version ${o.version})` : ""), "ok");
}

async function interpret() {
  const text = $("nl-text").value.trim();
  if (!text) return;
  $("btn-apply-text").disabled = true;
  try {
    const reading = await api("POST", "/v1/interpret", { text });
    const lines = (reading.intents || []).map((i) => `${i.kind}: ` + (i.triples || []).map((t) =>
      `${t.subject.text} —${t.relation.name || t.relation.text}→ ${t.object ? t.object.text : "(every value)"}`).join("; "));
    for (const c of reading.clarifications || []) lines.push(`? ${c.question}`);
    $("interpretation").textContent = lines.join("\n") || "nothing understood";
    $("btn-apply-text").disabled = !(reading.intents || []).length || reading.needs_clarification;
  } catch (e) {
    $("interpretation").textContent = e.message;
  }
}

async function applyText() {
  const answers = await api("POST", "/v1/submit", { text: $("nl-text").value.trim() });
  const outcome = answers.map((a) => a.outcome).find(Boolean);
  if (outcome) showOutcome(outcome);
  else $("interpretation").textContent = answers.map((a) => a.text || JSON.stringify(a.rows)).join("\n");
  await refresh();
}

// ---- history -----------------------------------------------------------------------------------------------

async function loadHistory() {
  const [commits, edits, review] = await Promise.all([api("GET", "/v1/log?limit=40"),
    api("GET", "/v1/edits?limit=200"), api("GET", "/v1/edits?status=quarantined&limit=50")]);
  const intents = new Map(edits.data.map((i) => [i.edit_id, i]));
  const list = $("timeline");
  list.replaceChildren();
  for (const c of commits) {
    const intent = intents.get(c.edit_id);
    const undone = intent && intent.result && intent.result.rolled_back_by;
    const item = el("li", { class: `commit kind-${c.kind}` + (undone ? " undone" : ""), "data-version": c.version },
      el("strong", {}, `v${c.version} ${c.kind}`), ` ${c.message} · ${c.author} · ${c.n_changes} changes `,
      el("span", { class: "when" }, c.ts.replace("T", " ").slice(0, 19)));
    if (undone) item.append(el("span", { class: "muted" }, ` (rolled back by ${undone})`));
    else if (c.kind === "edit" || c.kind === "forget") {
      item.append(" ", el("button", { class: "small secondary rollback", onclick: () => guarded(() => rollback({ edit_id: c.edit_id })) }, "roll back"));
    } else if (c.kind === "import") {
      item.append(" ", el("button", { class: "small secondary rollback", onclick: () => guarded(() => rollback({ commit: c.version })) }, "undo commit"));
    }
    list.append(item);
  }
  const box = $("review");
  box.replaceChildren();
  for (const i of review.data) {
    box.append(el("div", { class: "quarantined" }, `${i.edit_id} by ${i.user}: ${(i.request.triples || []).map((t) => t.join(" ")).join("; ")} — ${i.reasons.join("; ")} `,
      el("button", { class: "small", onclick: () => guarded(() => review_(i.edit_id, "approve")) }, "approve"), " ",
      el("button", { class: "small secondary", onclick: () => guarded(() => review_(i.edit_id, "reject")) }, "reject")));
  }
}

async function rollback(target) {
  say("rolling back…");
  const result = await api("POST", "/v1/rollback", target);
  const version = Array.isArray(result) ? (result[0] || {}).version : (result.version ?? result.commit?.version);
  say(`rolled back (version ${version})`, "ok");
  await refresh();
}

async function review_(editId, action) {
  const out = await api("POST", `/v1/edits/${editId}/${action}`, action === "reject" ? { reason: "rejected on the web page" } : undefined);
  if (out.kind) showOutcome(out); else say(`${editId}: ${out.status}`, "ok");
  await refresh();
}

// ---- Cypher ------------------------------------------------------------------------------------------------

async function runQuery() {
  const rows = await api("POST", "/v1/query", { cypher: $("cypher").value, write: $("cypher-write").checked });
  const table = $("results");
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  table.replaceChildren(el("tr", {}, ...columns.map((c) => el("th", {}, c))),
    ...rows.map((r) => el("tr", {}, ...columns.map((c) => el("td", {}, typeof r[c] === "object" ? JSON.stringify(r[c]) : (r[c] ?? ""))))));
  $("query-info").textContent = `${rows.length} row${rows.length === 1 ? "" : "s"}`;
}

// ---- page --------------------------------------------------------------------------------------------------

async function refresh(entity) {
  const health = await api("GET", "/v1/health");
  $("kg-version").textContent = `version ${health.version}`;
  await loadHistory();
  const name = entity || (state.center && state.center.name) || $("entity").value;
  if (name) await showEntity(name).catch((e) => say(e.message, "error"));
}

async function start() {
  takeTokenFromAddress();
  $("token-form").addEventListener("submit", (e) => { e.preventDefault(); localStorage.setItem("kgedit-token", $("token").value.trim()); start(); });
  if (!(await signIn())) return;
  const relations = await api("GET", "/v1/relations");
  state.relations = relations;
  $("relations").replaceChildren(...relations.map((r) => el("option", { value: r.name })));
  $("prompt").value = promptFor(triple());
  await guarded(() => refresh());
}

$("entity-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(() => showEntity($("entity").value.trim())); });
$("entity").addEventListener("input", () => guarded(async () => {
  const q = $("entity").value.trim();
  if (q.length < 2) return;
  const found = await api("GET", `/v1/entities?q=${encodeURIComponent(q)}&limit=20`);
  $("entity-list").replaceChildren(...found.map((e) => el("option", { value: e.name })));
}));
$("edit-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(() => submit("edit")); });
$("btn-forget").addEventListener("click", () => guarded(() => submit("forget")));
for (const id of ["subject", "relation"]) $(id).addEventListener("change", () => { $("prompt").value = promptFor(triple()); });
$("btn-interpret").addEventListener("click", () => guarded(interpret));
$("btn-apply-text").addEventListener("click", () => guarded(applyText));
$("btn-generate").addEventListener("click", () => guarded(async () => {
  $("model-output").textContent = "…";
  $("model-output").textContent = await ask($("prompt").value);
}));
$("btn-query").addEventListener("click", () => guarded(runQuery));
start();
