// Floe dashboard: polls the admin API every few seconds with the admin
// token the user signed in with (kept in sessionStorage) and draws the
// charts on canvases. No libraries, nothing fetched from elsewhere.
"use strict";

const POLL_MS = 2000;
const POINTS = 90;
const COLORS = ["#4cc2ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#ff7b72", "#79c0ff", "#56d364"];

const state = { token: sessionStorage.getItem("floe-token") || "", who: null, prev: null, timer: null };
const $ = (id) => document.getElementById(id);

// A chart is a set of named series of numbers drawn as lines.
class Chart {
  constructor(canvas, legend, unit) {
    this.canvas = canvas; this.legend = legend; this.unit = unit || "";
    this.series = new Map(); // name -> array of numbers (null: no data)
  }
  push(values) {
    for (const name of new Set([...this.series.keys(), ...Object.keys(values)])) {
      const s = this.series.get(name) || new Array(POINTS).fill(null);
      s.push(name in values ? values[name] : null);
      while (s.length > POINTS) s.shift();
      this.series.set(name, s);
    }
    const points = Math.max(0, ...[...this.series.values()].map((s) => s.filter((v) => v !== null).length));
    this.canvas.dataset.points = String(points);
    this.canvas.dataset.last = JSON.stringify(values);
    this.draw();
  }
  draw() {
    const c = this.canvas, ctx = c.getContext("2d");
    const dpr = window.devicePixelRatio || 1, w = c.clientWidth || c.width, h = c.clientHeight || c.height;
    if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    let maxV = 0;
    for (const s of this.series.values()) for (const v of s) if (v !== null && v > maxV) maxV = v;
    maxV = niceMax(maxV);
    const left = 44, bottom = h - 18, top = 8, right = w - 6;
    ctx.strokeStyle = "#26303b"; ctx.fillStyle = "#8b98a5"; ctx.font = "11px system-ui"; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = bottom - (bottom - top) * i / 4;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(right, y); ctx.stroke();
      ctx.fillText(fmt(maxV * i / 4), 2, y + 4);
    }
    ctx.fillText("-" + Math.round(POINTS * POLL_MS / 1000) + "s", left, h - 4);
    ctx.fillText("now", right - 22, h - 4);
    let i = 0;
    this.legend.textContent = "";
    for (const [name, s] of this.series) {
      const color = COLORS[i++ % COLORS.length];
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
      let started = false;
      s.forEach((v, k) => {
        if (v === null) { started = false; return; }
        const x = left + (right - left) * k / (POINTS - 1);
        const y = bottom - (bottom - top) * (maxV ? v / maxV : 0);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      });
      ctx.stroke();
      const last = [...s].reverse().find((v) => v !== null);
      const item = document.createElement("span");
      const dot = document.createElement("i"); dot.style.background = color;
      item.append(dot, `${name} ${last === undefined ? "–" : fmt(last)}${this.unit}`);
      this.legend.append(item);
    }
  }
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
function fmt(v) {
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2).replace(/\.?0+$/, "") || "0";
}
function ago(t) {
  const s = Math.max(0, (Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return Math.round(s) + "s";
  if (s < 3600) return Math.round(s / 60) + "m";
  return Math.round(s / 3600) + "h";
}

// Percentile of the statements between two cumulative histograms.
function percentile(bounds, prev, cur, q) {
  const total = cur[cur.length - 1] - (prev ? prev[prev.length - 1] : 0);
  if (total <= 0) return null;
  const rank = Math.ceil(q * total);
  for (let i = 0; i < cur.length; i++) {
    if (cur[i] - (prev ? prev[i] : 0) >= rank) return bounds[i];
  }
  return bounds[bounds.length - 1];
}

async function api(method, path) {
  const r = await fetch(path, { method, headers: { Authorization: "Bearer " + state.token } });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) { signOut("Your token was refused; sign in again."); throw new Error("unauthorized"); }
  if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
  return body;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  if (cls === "sql") td.title = td.textContent;
  tr.append(td);
  return td;
}
function fill(table, rows, render, emptyText) {
  const tbody = $(table).tBodies[0];
  tbody.textContent = "";
  if (!rows.length) {
    const tr = document.createElement("tr"), td = document.createElement("td");
    td.colSpan = $(table).tHead.rows[0].cells.length; td.className = "empty"; td.textContent = emptyText;
    tr.append(td); tbody.append(tr); return;
  }
  for (const r of rows) { const tr = document.createElement("tr"); render(tr, r); tbody.append(tr); }
}

const charts = {};
function setupCharts() {
  charts.qps = new Chart($("chart-qps"), $("legend-qps"), "/s");
  charts.latency = new Chart($("chart-latency"), $("legend-latency"), " ms");
  charts.errors = new Chart($("chart-errors"), $("legend-errors"), "/s");
  charts.pools = new Chart($("chart-pools"), $("legend-pools"), "");
  charts.cache = new Chart($("chart-cache"), $("legend-cache"), "%");
  window.floe = { charts };
}

function isAdmin() { return state.who && state.who.scopes.includes("admin"); }

const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

async function send(method, path, body) {
  const r = await fetch(path, { method, headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const b = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((b.error && b.error.message) || ("HTTP " + r.status));
  return b;
}

async function saveUser(e) {
  e.preventDefault();
  const spec = { roles: list($("user-roles").value) };
  if ($("user-password").value) spec.password = $("user-password").value;
  try {
    await send("PUT", "/api/v1/users/" + encodeURIComponent($("user-name").value.trim()), spec);
    $("user-form").reset(); $("error").textContent = "";
  } catch (err) { $("error").textContent = "Saving the user: " + err.message; }
  poll();
}

async function saveRole(e) {
  e.preventDefault();
  const grant = { database: $("role-database").value.trim(), actions: list($("role-actions").value) };
  const tables = list($("role-tables").value);
  if (tables.length) grant.tables = tables;
  try {
    await send("PUT", "/api/v1/roles/" + encodeURIComponent($("role-name").value.trim()), { grants: [grant] });
    $("role-form").reset(); $("error").textContent = "";
  } catch (err) { $("error").textContent = "Saving the role: " + err.message; }
  poll();
}

async function remove(kind, name) {
  if (!confirm(`Delete ${kind} ${name} from the shared store?`)) return;
  try { await send("DELETE", `/api/v1/${kind}s/${encodeURIComponent(name)}`); } catch (err) { $("error").textContent = err.message; }
  poll();
}

function deleteButton(td, kind, name) {
  const b = document.createElement("button"); b.className = "danger small"; b.textContent = "Delete";
  b.onclick = () => remove(kind, name); td.append(b);
}

async function sessionAction(id, action) {
  try { await api("POST", `/api/v1/sessions/${encodeURIComponent(id)}/${action}`); } catch (e) { $("error").textContent = e.message; }
  poll();
}

// The slow statements, and the plan of the one chosen (state.slowPick:
// database and id) drawn as a tree.
function renderSlow(rows) {
  fill("slow", rows, (tr, r) => {
    tr.dataset.id = r.id; tr.dataset.database = r.database;
    const p = r.phases || {};
    cell(tr, ago(r.time) + " ago"); cell(tr, r.database); cell(tr, r.user); cell(tr, fmt(r.duration_ms) + " ms", "num");
    cell(tr, [p.policy_ms, p.wait_ms, p.backend_ms, p.stream_ms].map((v) => fmt(v || 0)).join(" / "));
    cell(tr, r.rows, "num");
    const st = cell(tr, r.plan_status + (r.plan_note ? ": " + r.plan_note : ""), "plan-" + r.plan_status);
    st.title = st.textContent;
    cell(tr, r.text, "sql");
    if (r.plan) {
      tr.classList.add("has-plan");
      tr.onclick = () => { state.slowPick = { database: r.database, id: r.id }; renderSlow(rows); };
    }
  }, "no slow statements (set databases[].slow.threshold)");
  const pick = state.slowPick && rows.find((r) => r.database === state.slowPick.database && r.id === state.slowPick.id);
  $("plan").hidden = !(pick && pick.plan);
  for (const tr of $("slow").tBodies[0].rows) tr.classList.toggle("picked", !!pick && tr.dataset.id === String(pick.id) && tr.dataset.database === pick.database);
  if (!pick || !pick.plan) return;
  $("plan-title").textContent = `${pick.database} · ${pick.plan.format} · ${pick.text}`;
  const root = $("plan-tree");
  root.textContent = "";
  if (pick.plan.tree) root.append(planNode(pick.plan.tree));
}

function planNode(n) {
  const li = document.createElement("li");
  const head = document.createElement("div");
  head.className = "plan-node";
  const type = document.createElement("span"); type.className = "plan-type"; type.textContent = n.type;
  head.append(type);
  if (n.relation) { const rel = document.createElement("span"); rel.className = "plan-rel"; rel.textContent = " on " + n.relation; head.append(rel); }
  const figs = [];
  if (n.rows !== undefined) figs.push("est. rows " + fmt(n.rows));
  figs.push("actual " + (n.actual_rows !== undefined ? fmt(n.actual_rows) : "–"));
  if (n.cost !== undefined) figs.push("cost " + fmt(n.cost));
  const f = document.createElement("span"); f.className = "plan-figs muted small"; f.textContent = "  " + figs.join(" · ");
  head.append(f);
  li.append(head);
  if (n.detail) { const d = document.createElement("div"); d.className = "plan-detail muted small"; d.textContent = n.detail; li.append(d); }
  if (n.children && n.children.length) {
    const ul = document.createElement("ul");
    for (const c of n.children) ul.append(planNode(c));
    li.append(ul);
  }
  return li;
}

function bytes(n) {
  for (const [u, d] of [["GB", 1 << 30], ["MB", 1 << 20], ["KB", 1 << 10]]) if (n >= d) return fmt(n / d) + " " + u;
  return n + " B";
}

// pollCache charts each database's hit ratio over the last interval
// (hits / (hits + misses); no point when nothing was asked) and lists
// the caches.
async function pollCache() {
  const { caches } = await api("GET", "/api/v1/cache?top=5");
  const prev = state.prevCache || {}, ratios = {}, now = {};
  for (const c of caches) {
    now[c.database] = c;
    const p = prev[c.database];
    if (p) {
      const dh = c.hits - p.hits, dm = c.misses - p.misses;
      if (dh + dm > 0) ratios[c.database] = 100 * dh / (dh + dm);
    }
  }
  state.prevCache = now;
  charts.cache.push(ratios);
  fill("caches", caches, (tr, c) => {
    tr.dataset.database = c.database;
    cell(tr, c.database); cell(tr, c.entries, "num"); cell(tr, bytes(c.bytes), "num");
    cell(tr, c.hits, "num"); cell(tr, c.misses, "num"); cell(tr, c.bypasses, "num");
    cell(tr, c.hits + c.misses ? fmt(100 * c.hit_ratio) + " %" : "–", "num ratio"); cell(tr, c.feed);
  }, "no database has a result cache (databases[].cache)");
}

async function poll() {
  try {
    const [stats, sessions, queries, denials, backends, users, roles, slow] = await Promise.all([
      api("GET", "/api/v1/stats"), api("GET", "/api/v1/sessions"), api("GET", "/api/v1/queries?limit=10"),
      api("GET", "/api/v1/denials?limit=15"), api("GET", "/api/v1/backends"), api("GET", "/api/v1/users"), api("GET", "/api/v1/roles"),
      api("GET", "/api/v1/slow?limit=20"),
    ]);
    const ready = await fetch("/readyz").then((r) => r.json().then((b) => ({ ok: r.ok, b })));
    $("ready").textContent = ready.ok ? "serving" : (ready.b.reason || "not ready");
    $("ready").className = "pill " + (ready.ok ? "ok" : "bad");
    $("drain").textContent = ready.b.reason === "drained by the admin API" ? "Undrain" : "Drain";

    const prev = state.prev;
    if (prev) {
      const dt = (new Date(stats.time) - new Date(prev.time)) / 1000;
      if (dt > 0) {
        const st = stats.statements, ps = prev.statements;
        charts.qps.push({ statements: (st.count - ps.count) / dt });
        charts.errors.push({ errors: (st.errors - ps.errors) / dt, denials: (stats.denials - prev.denials) / dt });
        const lat = {};
        for (const [name, q] of [["p50", 0.5], ["p95", 0.95], ["p99", 0.99]]) {
          const v = percentile(st.latency_bounds_ms, ps.latency_counts, st.latency_counts, q);
          if (v !== null) lat[name] = v;
        }
        charts.latency.push(lat);
      }
    }
    const inUse = {};
    for (const p of stats.pools || []) inUse[p.database] = (inUse[p.database] || 0) + p.in_use;
    charts.pools.push(inUse);
    state.prev = stats;

    $("session-count").textContent = `(${sessions.sessions.length})`;
    fill("sessions", sessions.sessions, (tr, s) => {
      tr.dataset.id = s.id; tr.dataset.user = s.user;
      cell(tr, s.id); cell(tr, s.user); cell(tr, s.database); cell(tr, s.client);
      cell(tr, s.state, "state-" + s.state.replace(/[^a-z]+/g, "-").replace(/-$/, "")); cell(tr, ago(s.since)); cell(tr, s.statement, "sql");
      const td = cell(tr, "");
      if (isAdmin()) {
        const cancel = document.createElement("button"); cancel.className = "ghost small"; cancel.textContent = "Cancel";
        cancel.onclick = () => sessionAction(s.id, "cancel");
        const kill = document.createElement("button"); kill.className = "danger small kill"; kill.textContent = "Kill";
        kill.onclick = () => { if (confirm(`End session ${s.id} of ${s.user}?`)) sessionAction(s.id, "kill"); };
        td.append(cancel, " ", kill);
      }
    }, "no client sessions");
    fill("queries", queries.queries, (tr, q) => {
      cell(tr, q.database); cell(tr, q.query, "sql"); cell(tr, q.count, "num"); cell(tr, q.errors, "num");
      cell(tr, fmt(q.p50_ms) + " ms", "num"); cell(tr, fmt(q.p99_ms) + " ms", "num");
    }, "no statements yet");
    renderSlow(slow.slow || []);
    fill("denials", denials.denials, (tr, d) => {
      cell(tr, ago(d.time) + " ago"); cell(tr, d.user); cell(tr, d.database); cell(tr, d.rule); cell(tr, d.sql || d.message, "sql");
    }, "no denials");
    fill("users", users.users, (tr, u) => {
      tr.dataset.user = u.name;
      cell(tr, u.name); cell(tr, u.roles.join(", ")); cell(tr, u.source);
      const td = cell(tr, "");
      if (isAdmin() && u.source === "store") deleteButton(td, "user", u.name);
    }, "no users");
    fill("roles", roles.roles, (tr, r) => {
      tr.dataset.role = r.name;
      cell(tr, r.name);
      cell(tr, (r.grants || []).map((g) => `${g.deny ? "deny " : ""}${(g.actions || []).join(",")} on ${g.database}${g.tables ? ":" + g.tables.join(",") : ""}`).join("; ") || "(none)");
      cell(tr, r.source);
      const td = cell(tr, "");
      if (isAdmin() && r.source === "store") deleteButton(td, "role", r.name);
    }, "no roles");
    fill("backends", backends.backends, (tr, b) => {
      cell(tr, b.database); cell(tr, b.name); cell(tr, b.address); cell(tr, b.role);
      cell(tr, b.healthy ? "up" : "down", b.healthy ? "up" : "down");
      cell(tr, b.lag_seconds < 0 ? "–" : fmt(b.lag_seconds), "num"); cell(tr, b.breaker || "–"); cell(tr, b.last_error);
    }, "no relayed databases (SQLite databases have no backends to check)");
    await pollCache();
    $("error").textContent = "";
  } catch (e) {
    if (e.message !== "unauthorized") $("error").textContent = "Could not reach the gateway: " + e.message;
  }
}

// Index advice is computed on the gateway at most once per
// advice.interval (Check now asks for it at once): read apart from the
// poll, every minute.
const ADVICE_MS = 60000;
async function loadAdvice(refresh) {
  try {
    const body = await api("GET", "/api/v1/advice" + (refresh ? "?refresh=true" : ""));
    const rows = [], notes = [];
    for (const r of body.reports) {
      if (r.note) notes.push(`${r.database}: ${r.note}`);
      for (const a of r.advice) rows.push({ db: r.database, a });
    }
    $("advice-note").textContent = notes.join(" · ");
    $("advice").dataset.loaded = String(Date.now());
    fill("advice", rows, (tr, { db, a }) => {
      tr.dataset.table = a.table; tr.dataset.verified = String(a.verified);
      cell(tr, db); cell(tr, a.statement, "stmt");
      cell(tr, a.verified ? "verified" : "unverified", a.verified ? "up" : "state-idle-in-transaction");
      cell(tr, a.verified ? Math.round(a.gain * 100) + "%" : "–", "num");
      cell(tr, a.shapes.map((s) => `${s.query} (×${s.count})`).join("; "), "sql");
      cell(tr, [...new Set(a.shapes.flatMap((s) => s.evidence || []))].join("; "), "plan");
    }, body.reports.length ? "no index advised" : "no PostgreSQL or MySQL database");
  } catch (e) {
    if (e.message !== "unauthorized") $("advice-note").textContent = "advice: " + e.message;
  }
}

function showApp() {
  $("login").hidden = true; $("app").hidden = false;
  $("who").textContent = `${state.who.name} (${state.who.scopes.join(", ")})`;
  for (const el of document.querySelectorAll(".admin-only")) el.hidden = !isAdmin();
  state.prev = null;
  poll();
  clearInterval(state.timer);
  state.timer = setInterval(poll, POLL_MS);
  loadAdvice(false);
  clearInterval(state.adviceTimer);
  state.adviceTimer = setInterval(() => loadAdvice(false), ADVICE_MS);
}

function signOut(message) {
  clearInterval(state.timer); clearInterval(state.adviceTimer);
  state.token = ""; state.who = null;
  sessionStorage.removeItem("floe-token");
  $("app").hidden = true; $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function signIn(token) {
  const r = await fetch("/api/v1/whoami", { headers: { Authorization: "Bearer " + token } });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    $("login-error").textContent = (body.error && body.error.message) || "sign-in failed";
    return;
  }
  state.token = token; state.who = await r.json();
  sessionStorage.setItem("floe-token", token);
  showApp();
}

document.addEventListener("DOMContentLoaded", () => {
  setupCharts();
  $("login-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("token").value.trim()); });
  $("logout").addEventListener("click", () => signOut());
  $("user-form").addEventListener("submit", saveUser);
  $("role-form").addEventListener("submit", saveRole);
  $("advice-refresh").addEventListener("click", () => loadAdvice(true));
  $("drain").addEventListener("click", async () => {
    const undrain = $("drain").textContent === "Undrain";
    try { await api("POST", undrain ? "/api/v1/undrain" : "/api/v1/drain"); } catch (e) { $("error").textContent = e.message; }
    poll();
  });
  if (state.token) signIn(state.token); else signOut();
});
