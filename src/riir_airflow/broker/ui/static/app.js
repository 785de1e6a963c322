// riir-airflow web UI: every page renders here, in the browser, from the public REST API
// (/api/v2, with the JWT of POST /auth/token as `Authorization: Bearer`), so the UI shows
// exactly what the API serves. Values reach the DOM as text only (h() below: text nodes and
// attributes, never innerHTML); actions.js holds the buttons that change states. Routes live in
// the URL's hash:
//   #/dags?search=S&paused=true|false         the DAG list (and import errors), filtered
//   #/dags/ID                                a DAG: grid of its recent runs, runs table
//   #/dags/ID/runs/RUN                       a run and its task instances
//   #/dags/ID/runs/RUN/tasks/TASK?map_index=M&try=N   a task instance, its log of one try

import { runActions, taskInstanceActions } from "./actions.js";

const TOKEN_KEY = "riir-airflow.token";
const USER_KEY = "riir-airflow.user";
const API = new URL("../api/v2/", document.baseURI); // the page is at /ui/
const LOGIN_URL = new URL("../auth/token", document.baseURI);
const REFRESH_MS = 2500;
const GRID_RUNS = 25;
const PAGE = 100; // the API's maximum page size
const RUN_ACTIVE = new Set(["queued", "running"]);
const TRY_ACTIVE = new Set(["queued", "running", "deferred", "up_for_reschedule", "restarting"]);
const TI_FINAL = new Set(["success", "failed", "skipped", "upstream_failed", "removed"]);
// Which state a grid cell of several (mapped) task instances shows: the first one present.
const CELL_ORDER = ["failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "running", "deferred",
  "restarting", "queued", "scheduled", "none", "skipped", "removed", "success"];

const main = document.getElementById("main");
const userBox = document.getElementById("user");
let view = 0; // bumped on every navigation: work of an older view stops
let timer = null;

export class Unauthorized extends Error {}
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---- DOM helpers -------------------------------------------------------------------------

/** An element: attrs set as properties (booleans, on* listeners, dataset) or attributes;
 *  children appended as nodes or as text (never parsed as HTML). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (typeof value === "boolean") el[key] = value;
    else el.setAttribute(key, String(value));
  }
  fill(el, ...children);
  return el;
}

/** Replace `el`'s children, skipping null/undefined/false (the DOM's own replaceChildren
 * would show them as the text "null"); values that are not nodes become text. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : String(c))));
}

export const enc = encodeURIComponent;
const dagHref = (dagId) => `#/dags/${enc(dagId)}`;
const runHref = (dagId, runId) => `${dagHref(dagId)}/runs/${enc(runId)}`;
function tiHref(dagId, runId, taskId, mapIndex = -1, tryNumber = null) {
  const query = new URLSearchParams();
  if (mapIndex !== null && mapIndex >= 0) query.set("map_index", mapIndex);
  if (tryNumber !== null) query.set("try", tryNumber);
  const q = query.toString();
  return `${runHref(dagId, runId)}/tasks/${enc(taskId)}${q ? "?" + q : ""}`;
}

function badge(state) {
  const name = state || "none";
  return h("span", { class: "state", dataset: { state: name } }, name);
}

function fmtDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().slice(0, 19).replace("T", " ");
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600), minutes = Math.floor((s % 3600) / 60), rest = s % 60;
  return (hours ? `${hours}:${String(minutes).padStart(2, "0")}` : `${minutes}`) + `:${String(rest).padStart(2, "0")}`;
}

function table(headers, rows) {
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows));
}

function details(pairs) {
  return h("dl", { class: "details" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function errorBox(message) {
  return h("p", { class: "error", role: "alert" }, message);
}

// ---- API ---------------------------------------------------------------------------------

const token = () => sessionStorage.getItem(TOKEN_KEY);

function detailOf(data, response) {
  const detail = data && data.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? `${(d.loc || []).join(".")}: ${d.msg}` : JSON.stringify(d))).join("\n");
  }
  if (detail) return JSON.stringify(detail);
  return `${response.status} ${response.statusText}`.trim();
}

/** JSON of one API call (`path` relative to /api/v2/); a 401 goes back to the login form. */
export async function api(path, { method = "GET", body, query } = {}) {
  const url = new URL(path, API);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined) url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    logout("Your session has ended: please log in again.");
    throw new Unauthorized();
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, detailOf(data, response));
  return data;
}

/** Every item of a paged list (offset/limit), up to `max`. */
async function listAll(path, key, query = {}, max = 2000) {
  const items = [];
  for (;;) {
    const page = await api(path, { query: { ...query, limit: PAGE, offset: items.length } });
    items.push(...page[key]);
    if (!page[key].length || items.length >= page.total_entries || items.length >= max) return items;
  }
}

// ---- login, logout, routing --------------------------------------------------------------

function stopView() {
  view += 1;
  clearTimeout(timer);
  return view;
}

/** Run `load` again in REFRESH_MS unless the user navigated away meanwhile. */
function refreshLater(gen, load) {
  if (gen !== view) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    if (gen === view) load().catch((e) => failed(gen, e));
  }, REFRESH_MS);
}

function failed(gen, error) {
  if (error instanceof Unauthorized || gen !== view) return;
  const message = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error.message || error);
  fill(main, errorBox(message));
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  showLogin(message);
}

function showLogin(message) {
  stopView();
  fill(userBox);
  const error = h("p", { class: "error", role: "alert", hidden: !message }, message || "");
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = async (event) => {
    event.preventDefault();
    error.hidden = true;
    let response, data;
    try {
      response = await fetch(LOGIN_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username: username.value, password: password.value }),
      });
      data = await response.json().catch(() => null);
    } catch (e) {
      error.textContent = `The broker did not answer: ${e.message}`;
      error.hidden = false;
      return;
    }
    if (response.ok && data && data.access_token) {
      sessionStorage.setItem(TOKEN_KEY, data.access_token);
      sessionStorage.setItem(USER_KEY, username.value);
      render();
    } else {
      error.textContent = detailOf(data, response);
      error.hidden = false;
    }
  };
  fill(main, h("form", { class: "login", onsubmit: submit },
    h("h1", {}, "Log in"), error,
    h("label", {}, "Username", username),
    h("label", {}, "Password", password),
    h("button", { type: "submit", class: "primary" }, "Log in")));
  username.focus();
}

function parseRoute() {
  const raw = location.hash.replace(/^#/, "");
  const cut = raw.indexOf("?");
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const query = new URLSearchParams(cut < 0 ? "" : raw.slice(cut + 1));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [root, dagId, runs, runId, tasks, taskId] = parts;
  if (parts.length === 0 || (root === "dags" && parts.length === 1)) return [dagList, query];
  if (root !== "dags") return null;
  if (parts.length === 2) return [dagPage, dagId];
  if (parts.length === 4 && runs === "runs") return [runPage, dagId, runId];
  if (parts.length === 6 && runs === "runs" && tasks === "tasks") {
    const mapIndex = query.has("map_index") ? Number(query.get("map_index")) : -1;
    const tryNumber = query.has("try") ? Number(query.get("try")) : null;
    return [tiPage, dagId, runId, taskId, mapIndex, tryNumber];
  }
  return null;
}

async function render() {
  const gen = stopView();
  if (!token()) return showLogin();
  fill(userBox,
    h("span", {}, sessionStorage.getItem(USER_KEY) || ""),
    h("button", { type: "button", onclick: () => logout() }, "Log out"));
  let route;
  try {
    route = parseRoute();
  } catch {
    route = null; // a malformed %-escape
  }
  if (!route) {
    fill(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/dags" }, "Back to the DAGs")));
    return;
  }
  const [page, ...args] = route;
  fill(main, h("p", { class: "muted" }, "Loading…"));
  try {
    await page(gen, ...args);
  } catch (e) {
    failed(gen, e);
  }
}

/** Go to `hash`; render even when it is the current one (no hashchange then). */
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// ---- shared pieces -----------------------------------------------------------------------

/** The form that triggers a run of `dagId`: a logical date (now by default, as Airflow's own
 * trigger form: templates such as {{ ds }} need one; emptied, the run has none) and an optional
 * conf JSON; the API's error on a 4xx. */
function triggerForm(dagId) {
  const logicalDate = h("input", { name: "logical_date", type: "text", value: new Date().toISOString(),
    spellcheck: "false" });
  const conf = h("textarea", { name: "conf", placeholder: '{"key": "value"}', spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
  };
  const form = h("form", { class: "trigger-form", "aria-label": `Trigger ${dagId}` },
    h("strong", {}, `Trigger ${dagId}`),
    h("label", {}, "Logical date (ISO 8601, UTC; empty: none)", logicalDate),
    h("label", {}, "Configuration JSON (optional)", conf), error,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Trigger run"),
      h("button", { type: "button", onclick: () => form.remove() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = { logical_date: logicalDate.value.trim() || null };
    const text = conf.value.trim();
    if (text) {
      try {
        body.conf = JSON.parse(text);
      } catch (e) {
        return fail(`The configuration is not valid JSON: ${e.message}`);
      }
      if (body.conf === null || typeof body.conf !== "object" || Array.isArray(body.conf)) {
        return fail("The configuration must be a JSON object.");
      }
    }
    try {
      await api(`dags/${enc(dagId)}/dagRuns`, { method: "POST", body });
    } catch (e) {
      if (!(e instanceof Unauthorized)) fail(e instanceof ApiError ? `${e.status}: ${e.message}` : e.message);
      return;
    }
    go(dagHref(dagId));
  });
  return form;
}

/** A checkbox showing and setting the DAG's is_paused (PATCH /dags/{id}). */
function pausedToggle(dag, onChange) {
  const box = h("input", { type: "checkbox", checked: dag.is_paused, "aria-label": `${dag.dag_id} paused` });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      await api(`dags/${enc(dag.dag_id)}`, { method: "PATCH", body: { is_paused: box.checked } });
    } catch (e) {
      box.checked = !box.checked;
      if (!(e instanceof Unauthorized)) alert(e.message);
    } finally {
      box.disabled = false;
    }
    if (onChange) onChange();
  });
  return h("label", { class: "row" }, box, "paused");
}

// ---- pages -------------------------------------------------------------------------------

/** The DAG list's filters as its hash holds them (`#/dags?search=S&paused=true|false`). */
function dagListHash(search, paused) {
  const query = new URLSearchParams();
  if (search) query.set("search", search);
  if (paused) query.set("paused", paused);
  const q = query.toString();
  return `#/dags${q ? "?" + q : ""}`;
}

async function dagList(gen, query) {
  const forms = h("div");
  const live = h("div");
  const search = h("input", { type: "search", name: "search", value: query.get("search") || "",
    placeholder: "Search DAGs", "aria-label": "Search DAGs", spellcheck: "false" });
  const wanted = query.get("paused");
  const paused = h("select", { name: "paused", "aria-label": "Show" },
    [["", "all"], ["false", "active"], ["true", "paused"]].map(([value, text]) =>
      h("option", { value, selected: value === (wanted || "") }, text)));
  fill(main, h("h1", {}, "DAGs"), h("div", { class: "row filters" }, search, h("label", { class: "row" }, "Show", paused)),
    forms, live);
  const openTrigger = (dagId) => fill(forms, triggerForm(dagId));
  // A filter changes the hash in place (no hashchange: the search box keeps its focus) and lists
  // again; a reload keeps the filters. `loads` drops the answer of an older, slower request.
  let loads = 0;
  let typing = null;
  const refilter = () => {
    clearTimeout(typing);
    if (gen !== view) return; // the user went elsewhere meanwhile
    history.replaceState(null, "", dagListHash(search.value.trim(), paused.value));
    load().catch((e) => failed(gen, e));
  };
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(refilter, 250);
  });
  paused.addEventListener("change", refilter);

  async function load() {
    const mine = ++loads;
    const text = search.value.trim();
    const [dags, errors] = await Promise.all([
      api("dags", { query: { limit: PAGE, dag_id_pattern: text || null, paused: paused.value || null } }),
      api("importErrors", { query: { limit: PAGE } }),
    ]);
    const latest = await Promise.all(dags.dags.map((dag) =>
      api(`dags/${enc(dag.dag_id)}/dagRuns`, { query: { limit: 1, order_by: "-run_after" } })
        .then((runs) => runs.dag_runs[0] || null)));
    if (gen !== view || mine !== loads) return;
    const parts = [];
    if (errors.total_entries > 0) {
      parts.push(h("section", { class: "import-errors", "aria-label": "Import errors" },
        h("h2", {}, `Import errors (${errors.total_entries})`),
        errors.import_errors.map((e) => h("div", {},
          h("strong", {}, e.filename), h("span", { class: "muted" }, `  ${fmtDate(e.timestamp)}`),
          h("pre", {}, e.stack_trace)))));
    }
    const rows = dags.dags.map((dag, i) => {
      const run = latest[i];
      return h("tr", { dataset: { dagId: dag.dag_id } },
        h("td", {}, h("a", { href: dagHref(dag.dag_id) }, dag.dag_id),
          dag.description ? h("div", { class: "muted" }, dag.description) : null),
        h("td", {}, pausedToggle(dag)),
        h("td", {}, dag.timetable_summary || ""),
        h("td", {}, dag.tags.map((t) => h("span", { class: "tag" }, t.name))),
        h("td", {}, run ? [h("a", { href: runHref(dag.dag_id, run.dag_run_id) }, badge(run.state)), " ",
          h("span", { class: "muted" }, fmtDate(run.run_after))] : h("span", { class: "muted" }, "no runs")),
        h("td", {}, h("button", { type: "button", onclick: () => openTrigger(dag.dag_id) }, "Trigger")));
    });
    const filtered = text || paused.value;
    parts.push(dags.total_entries === 0
      ? h("p", { class: "muted" }, filtered ? "No DAG matches the filters." : "No DAGs yet: start an app for a DAG file.")
      : table(["DAG", "Paused", "Schedule", "Tags", "Latest run", ""], rows));
    if (dags.total_entries > dags.dags.length) {
      parts.push(h("p", { class: "muted" }, `Showing ${dags.dags.length} of ${dags.total_entries} DAGs.`));
    }
    fill(live, ...parts);
    if (latest.some((run) => run && RUN_ACTIVE.has(run.state))) refreshLater(gen, load);
  }
  await load();
}

/** The tasks upstream first (Kahn's order; ties, and tasks of a cycle, by task_id), as rows. */
function upstreamFirst(tasks) {
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const waiting = new Map(tasks.map((t) => [t.task_id, 0]));
  for (const t of tasks) for (const d of t.downstream_task_ids || []) if (waiting.has(d)) waiting.set(d, waiting.get(d) + 1);
  const ready = tasks.filter((t) => waiting.get(t.task_id) === 0).map((t) => t.task_id).sort();
  const order = [];
  while (ready.length) {
    const id = ready.shift();
    order.push(byId.get(id));
    for (const d of (byId.get(id).downstream_task_ids || []).slice().sort()) {
      if (!waiting.has(d)) continue;
      waiting.set(d, waiting.get(d) - 1);
      if (waiting.get(d) === 0) ready.push(d);
    }
  }
  const placed = new Set(order.map((t) => t.task_id));
  return order.concat(tasks.filter((t) => !placed.has(t.task_id)));
}

function gridCell(dagId, run, taskId, instances) {
  if (!instances || instances.length === 0) return h("td", { class: "cell" });
  const states = new Set(instances.map((ti) => ti.state || "none"));
  const state = CELL_ORDER.find((s) => states.has(s)) || [...states][0];
  const one = instances.length === 1 ? instances[0] : null;
  const href = one ? tiHref(dagId, run.dag_run_id, taskId, one.map_index) : runHref(dagId, run.dag_run_id);
  const title = `${taskId} · ${run.dag_run_id} · ${one ? state : `${instances.length} mapped, ${state}`}`;
  return h("td", { class: "cell" }, h("a", {
    class: "cell", href, title, "aria-label": title,
    dataset: { task: taskId, run: run.dag_run_id, state },
  }));
}

async function dagPage(gen, dagId) {
  const forms = h("div");
  const head = h("div");
  const live = h("div");
  fill(main, h("div", { class: "crumbs" }, h("a", { href: "#/dags" }, "DAGs"), " / ", dagId),
    h("h1", {}, dagId), head, forms, live);
  const base = `dags/${enc(dagId)}`;

  async function load() {
    const [dag, tasks, runs] = await Promise.all([
      api(base),
      api(`${base}/tasks`),
      api(`${base}/dagRuns`, { query: { limit: GRID_RUNS, order_by: "-run_after" } }),
    ]);
    const columns = runs.dag_runs.slice().reverse(); // oldest on the left, as Airflow's grid
    const instances = await Promise.all(columns.map((run) =>
      listAll(`${base}/dagRuns/${enc(run.dag_run_id)}/taskInstances`, "task_instances")));
    if (gen !== view) return;
    fill(head,
      dag.description ? h("p", {}, dag.description) : null,
      h("div", { class: "row" }, pausedToggle(dag, () => gen === view && load().catch((e) => failed(gen, e))),
        h("span", { class: "muted" }, `schedule: ${dag.timetable_summary || "none"}`),
        dag.tags.map((t) => h("span", { class: "tag" }, t.name)),
        h("button", { type: "button", onclick: () => fill(forms, triggerForm(dagId)) }, "Trigger")));
    const byRun = instances.map((list) => {
      const map = new Map();
      for (const ti of list) map.set(ti.task_id, [...(map.get(ti.task_id) || []), ti]);
      return map;
    });
    const grid = h("div", { class: "grid" }, table(
      ["Task", ...columns.map((run) => h("a", { href: runHref(dagId, run.dag_run_id), title: run.dag_run_id },
        fmtDate(run.run_after)))],
      upstreamFirst(tasks.tasks).map((task) => h("tr", {}, h("td", {}, task.task_id),
        columns.map((run, i) => gridCell(dagId, run, task.task_id, byRun[i].get(task.task_id)))))));
    grid.querySelectorAll("thead th").forEach((th, i) => i > 0 && th.classList.add("run"));
    const runRows = runs.dag_runs.map((run) => h("tr", { dataset: { runId: run.dag_run_id } },
      h("td", {}, badge(run.state)),
      h("td", {}, h("a", { href: runHref(dagId, run.dag_run_id) }, run.dag_run_id)),
      h("td", {}, run.run_type),
      h("td", {}, fmtDate(run.logical_date)),
      h("td", {}, fmtDate(run.start_date)),
      h("td", {}, fmtDate(run.end_date)),
      h("td", {}, fmtDuration(run.duration))));
    fill(live,
      h("h2", {}, "Grid"),
      columns.length ? grid : h("p", { class: "muted" }, "No runs yet."),
      h("h2", {}, `Recent runs (${runs.dag_runs.length} of ${runs.total_entries})`),
      runs.dag_runs.length ? table(["State", "Run", "Type", "Logical date", "Start", "End", "Duration"], runRows) : null);
    if (runs.dag_runs.some((run) => RUN_ACTIVE.has(run.state))) refreshLater(gen, load);
  }
  await load();
}

async function runPage(gen, dagId, runId) {
  const live = h("div");
  fill(main, h("div", { class: "crumbs" }, h("a", { href: "#/dags" }, "DAGs"), " / ",
    h("a", { href: dagHref(dagId) }, dagId), " / ", runId), h("h1", {}, runId),
  runActions(dagId, runId, () => gen === view && render()), live);
  const base = `dags/${enc(dagId)}/dagRuns/${enc(runId)}`;

  async function load() {
    const [run, instances] = await Promise.all([api(base), listAll(`${base}/taskInstances`, "task_instances")]);
    if (gen !== view) return;
    const rows = instances.map((ti) => h("tr", { dataset: { task: ti.task_id, state: ti.state || "none" } },
      h("td", {}, h("a", { href: tiHref(dagId, runId, ti.task_id, ti.map_index) },
        ti.map_index >= 0 ? `${ti.task_id} [${ti.map_index}]` : ti.task_id)),
      h("td", {}, badge(ti.state)),
      h("td", {}, String(ti.try_number)),
      h("td", {}, ti.operator_name || ti.operator || ""),
      h("td", {}, fmtDate(ti.start_date)),
      h("td", {}, fmtDate(ti.end_date)),
      h("td", {}, fmtDuration(ti.duration))));
    fill(live,
      details([
        ["State", badge(run.state)], ["Run type", run.run_type], ["Triggered by", run.triggered_by || ""],
        ["Logical date", fmtDate(run.logical_date)], ["Run after", fmtDate(run.run_after)],
        ["Start", fmtDate(run.start_date)], ["End", fmtDate(run.end_date)], ["Duration", fmtDuration(run.duration)],
        ["Conf", h("pre", {}, JSON.stringify(run.conf || {}, null, 2))],
      ]),
      h("h2", {}, `Task instances (${instances.length})`),
      table(["Task", "State", "Try", "Operator", "Start", "End", "Duration"], rows));
    if (RUN_ACTIVE.has(run.state)) refreshLater(gen, load);
  }
  await load();
}

function logLine(record) {
  const { timestamp, level, event } = record;
  const prefix = [timestamp ? `[${timestamp}]` : "", level ? String(level).toUpperCase() : ""].filter(Boolean).join(" ");
  const text = typeof event === "string" ? event : JSON.stringify(event);
  return (prefix ? `${prefix} ` : "") + text + "\n";
}

async function tiPage(gen, dagId, runId, taskId, mapIndex, wantedTry) {
  const live = h("div");
  const tries = h("select", { name: "try", "aria-label": "Try" });
  const log = h("pre", { class: "log", "aria-label": "Log" });
  const label = mapIndex >= 0 ? `${taskId} [${mapIndex}]` : taskId;
  fill(main, h("div", { class: "crumbs" }, h("a", { href: "#/dags" }, "DAGs"), " / ",
    h("a", { href: dagHref(dagId) }, dagId), " / ", h("a", { href: runHref(dagId, runId) }, runId), " / ", label),
  h("h1", {}, label),
  // After a change, the latest try (a cleared instance's new one) rather than a chosen one.
  taskInstanceActions(dagId, runId, taskId, mapIndex, () => gen === view && go(tiHref(dagId, runId, taskId, mapIndex))),
  live, h("h2", { class: "row" }, "Log", h("label", { class: "row" }, "try", tries)), log);
  tries.addEventListener("change", () => go(tiHref(dagId, runId, taskId, mapIndex, Number(tries.value))));
  const base = `dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}`;
  let logToken = null;
  let shownTry = null;

  async function load() {
    const ti = await api(mapIndex >= 0 ? `${base}/${mapIndex}` : base);
    const tryNumber = wantedTry ?? ti.try_number;
    if (tryNumber !== shownTry) logToken = null; // a new try (a retry started): its log from the top
    let records = [];
    if (tryNumber >= 1) {
      const answer = await api(`${base}/logs/${tryNumber}`, { query: { map_index: mapIndex, token: logToken } });
      records = answer.content;
      logToken = answer.continuation_token;
    }
    if (gen !== view) return;
    fill(live, details([
      ["State", badge(ti.state)], ["Try", `${ti.try_number} of ${ti.max_tries + 1}`],
      ["Operator", ti.operator_name || ti.operator || ""], ["Pool", ti.pool],
      ["Start", fmtDate(ti.start_date)], ["End", fmtDate(ti.end_date)], ["Duration", fmtDuration(ti.duration)],
      ["Hostname", ti.hostname || ""], ["Run", h("a", { href: runHref(dagId, runId) }, runId)],
    ]));
    const count = Math.max(ti.try_number, tryNumber);
    if (tries.options.length !== count) {
      fill(tries, ...Array.from({ length: count }, (_, i) =>
        h("option", { value: String(i + 1), selected: i + 1 === tryNumber }, String(i + 1))));
    }
    tries.disabled = count === 0;
    if (shownTry !== tryNumber) {
      fill(log);
      shownTry = tryNumber;
    }
    if (tryNumber < 1) fill(log, "No try has run yet.");
    else if (records.length) log.append(records.map(logLine).join(""));
    // Refresh while the shown try runs, and, on the latest try, until the instance is done
    // (a retry then shows its own try).
    const running = tryNumber === ti.try_number && TRY_ACTIVE.has(ti.state);
    if (running || (wantedTry === null && !TI_FINAL.has(ti.state))) refreshLater(gen, load);
  }
  await load();
}

window.addEventListener("hashchange", render);
render();
