// riir-airflow web UI: the buttons that change a run's or a task instance's state (clear, mark
// success, mark failed), imported by app.js. Each calls the public REST API as app.js does;
// a clear asks the API first with dry_run (how many task instances it would clear) and clears
// after the user confirms. The buttons show for every user: a role that may not use them gets
// the API's answer (403) in the page, as any refusal (e.g. 409 "already in success state").

import { ApiError, Unauthorized, api, enc, h } from "./app.js";

function messageOf(error) {
  return error instanceof ApiError ? `${error.status}: ${error.message}` : String(error.message || error);
}

/** A bar of action buttons and, below it, a panel for a confirmation or the API's error.
 * `buttons`: [label, onClick(panel)]; `extra`: nodes after the buttons (options). */
function actionBar(name, buttons, extra = []) {
  const panel = h("div", { class: "action-panel" });
  const bar = h("div", { class: "row actions", role: "group", "aria-label": name },
    buttons.map(([label, onClick]) => h("button", {
      type: "button",
      onclick: async (event) => {
        const all = bar.querySelectorAll("button");
        all.forEach((b) => { b.disabled = true; });
        panel.replaceChildren();
        try {
          await onClick(panel, event);
        } catch (e) {
          if (!(e instanceof Unauthorized)) panel.replaceChildren(h("p", { class: "error", role: "alert" }, messageOf(e)));
        } finally {
          all.forEach((b) => { b.disabled = false; });
        }
      },
    }, label)), extra);
  bar.addEventListener("change", () => panel.replaceChildren()); // an option changed: ask again
  return h("div", { class: "action-bar" }, bar, panel);
}

function tiName(ti) {
  return ti.map_index >= 0 ? `${ti.task_id} [${ti.map_index}]` : ti.task_id;
}

/** Show in `panel` what a dry run would clear and a Confirm button running `clear`, then `done`. */
function confirmClear(panel, found, clear, done) {
  const count = found.total_entries;
  if (count === 0) {
    panel.replaceChildren(h("p", { class: "notice", role: "status" }, "There are no task instances to clear."));
    return;
  }
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const confirm = h("button", { type: "button", class: "primary" }, "Confirm clear");
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await clear();
    } catch (e) {
      confirm.disabled = false;
      if (e instanceof Unauthorized) return;
      error.textContent = messageOf(e);
      error.hidden = false;
      return;
    }
    done();
  });
  panel.replaceChildren(h("div", { class: "notice", role: "dialog", "aria-label": "Confirm clear" },
    h("p", {}, `Clear ${count} task instance${count === 1 ? "" : "s"}? ${count === 1 ? "It runs" : "They run"} again.`),
    h("ul", { class: "cleared" }, found.task_instances.map((ti) => h("li", {}, `${tiName(ti)} (${ti.state || "none"})`))),
    error,
    h("div", { class: "row" }, confirm,
      h("button", { type: "button", onclick: () => panel.replaceChildren() }, "Cancel"))));
}

/** The run page's actions: Clear (every task instance of the run), Mark success, Mark failed;
 * `done` refreshes the page after a change. */
export function runActions(dagId, runId, done) {
  const path = `dags/${enc(dagId)}/dagRuns/${enc(runId)}`;
  const clear = (dryRun) => api(`${path}/clear`, { method: "POST", body: { dry_run: dryRun, only_failed: false } });
  const mark = (state) => async () => {
    await api(path, { method: "PATCH", body: { state } });
    done();
  };
  return actionBar("Run actions", [
    ["Clear", async (panel) => confirmClear(panel, await clear(true), () => clear(false), done)],
    ["Mark success", mark("success")],
    ["Mark failed", mark("failed")],
  ]);
}

/** The task instance page's actions: Clear (this instance, or this map index; optionally its
 * downstream and upstream tasks), Mark success, Mark failed; `done` refreshes after a change. */
export function taskInstanceActions(dagId, runId, taskId, mapIndex, done) {
  const downstream = h("input", { type: "checkbox", name: "include_downstream" });
  const upstream = h("input", { type: "checkbox", name: "include_upstream" });
  // The options as they were for the dry run go with the clear the user confirms.
  const clear = (dryRun, options) => api(`dags/${enc(dagId)}/clearTaskInstances`, {
    method: "POST",
    body: {
      dry_run: dryRun, dag_run_id: runId, only_failed: false,
      task_ids: [mapIndex >= 0 ? [taskId, mapIndex] : taskId], ...options,
    },
  });
  const one = `dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}${mapIndex >= 0 ? `/${mapIndex}` : ""}`;
  const mark = (state) => async () => {
    await api(one, { method: "PATCH", body: { new_state: state } });
    done();
  };
  const clearAsked = async (panel) => {
    const options = { include_downstream: downstream.checked, include_upstream: upstream.checked };
    confirmClear(panel, await clear(true, options), () => clear(false, options), done);
  };
  return actionBar("Task instance actions", [
    ["Clear", clearAsked],
    ["Mark success", mark("success")],
    ["Mark failed", mark("failed")],
  ], [h("label", { class: "row" }, downstream, "downstream"), h("label", { class: "row" }, upstream, "upstream")]);
}
