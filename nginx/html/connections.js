// The Connections panel: an org's trackers. Configure members add, edit, test, disable, delete connections and rotate
// their inbound secret; read members see their state. Secrets are write-only: the page never receives them back.
import { api } from "./api.js";
import { $, badge, el, show, showError, shownOnce, when } from "./dom.js";
import { fieldsEditor } from "./fields.js";
import { jiraCloudBadges, startJiraCloud, takeJiraCloudOutcome } from "./jira-cloud.js";

// Where the tracker's statuses lead the evidence request (every kind; see docs/two-way-status.md).
const STATUS_MAP = { name: "status_map", label: "Status map",
  hint: "Tracker status=evidence status, comma-separated (keep: no change). Default: done=submitted" };

// How the tracker's changes come back (every kind; see docs/reliability.md, "Sweeps").
const INBOUND_MODE = { name: "inbound_mode", label: "Inbound", options: ["", "webhook", "poll"],
  hint: "Empty or webhook: the tracker calls the inbound URL, sweeps repair what is lost. " +
    "poll: it cannot reach us (behind a firewall): swept every TICKET_SYNC_POLL_INTERVAL, no inbound URL" };

// What each kind asks for, with hints. `secret: true` fields go in `secrets` and are never shown again.
const KINDS = {
  jira: {
    label: "Jira", fields: [
      { name: "base_url", label: "Base URL", hint: "https://your-site.atlassian.net (with any context path)", required: true },
      { name: "project_key", label: "Project key", hint: "Issues are created here, e.g. GRC", required: true },
      { name: "issue_type", label: "Issue type", hint: "Default: Task" },
      { name: "email", label: "Account email", hint: "Cloud: set it (Basic auth). Data Center token: leave empty (Bearer)" },
      { name: "deployment", label: "Deployment", options: ["", "cloud", "datacenter"],
        hint: "Empty: asked from Jira (serverInfo) when needed. Decides how Ticket Sync searches for issues" },
      { name: "api_token", label: "API token", secret: true, required: true },
      { name: "webhook_secret", label: "Webhook secret", secret: true, hint: "Verifies Jira's X-Hub-Signature on the inbound URL" },
      STATUS_MAP, INBOUND_MODE,
    ],
  },
  // Made by "Connect Jira Cloud" (OAuth), never through the form; the form edits what the flow leaves to the org.
  jira_cloud: {
    label: "Jira Cloud (OAuth)", oauth: true, fields: [
      { name: "project_key", label: "Project key", hint: "Issues are created here, e.g. GRC", required: true },
      { name: "issue_type", label: "Issue type", hint: "Default: Task" },
      STATUS_MAP,
    ],
  },
  servicenow: {
    label: "ServiceNow", fields: [
      { name: "base_url", label: "Instance URL", hint: "https://your-instance.service-now.com", required: true },
      { name: "table", label: "Table", hint: "Default: incident" },
      { name: "auth", label: "Authentication", options: ["apikey", "bearer"], hint: "apikey: x-sn-apikey header; bearer: OAuth token" },
      { name: "close_code", label: "Close code", hint: "Default: Solution provided" },
      { name: "close_state", label: "Close state", hint: "Default: 6 (Resolved)" },
      { name: "api_token", label: "API token", secret: true, required: true },
      { name: "webhook_secret", label: "Webhook secret", secret: true, hint: "Verifies the Business Rule's X-Signature" },
      STATUS_MAP, INBOUND_MODE,
    ],
  },
  linear: {
    label: "Linear", fields: [
      { name: "team_id", label: "Team id", hint: "The team's UUID (Settings → Teams; not its key such as GRC)", required: true },
      { name: "base_url", label: "API URL", hint: "Default: https://api.linear.app" },
      { name: "api_key", label: "API key", secret: true, required: true, hint: "A personal API key (lin_api_…)" },
      { name: "webhook_secret", label: "Webhook signing secret", secret: true,
        hint: "Verifies Linear-Signature on the inbound URL" },
      STATUS_MAP, INBOUND_MODE,
    ],
  },
  webhook: {
    label: "Webhook adapter", fields: [
      { name: "url", label: "Adapter URL", hint: "Your adapter's https endpoint for signed events", required: true },
      { name: "webhook_secret", label: "Webhook secret", secret: true, required: true,
        hint: "Signs outbound events and verifies replies (X-Signature)" },
      STATUS_MAP, INBOUND_MODE,
    ],
  },
  mock: {
    label: "Mock (demo)", fields: [
      { name: "webhook_secret", label: "Webhook secret", secret: true, hint: "Optional: opens the inbound URL" },
      INBOUND_MODE,
    ],
  },
};

// `readiness`: each connection's required-field line of the readiness checklist (its `fields`), by id.
const panel = { org: null, permission: null, list: [], readiness: {}, editing: null, confirming: null, editor: null,
  onChange: () => {} };

export const connectionsOf = () => panel.list;

export async function loadConnections(org, permission, onChange) {
  Object.assign(panel, { org, permission, onChange: onChange || panel.onChange, editing: null, confirming: null });
  show($("connection-form"), false);
  $("connection-result").replaceChildren();
  show($("add-connection"), permission === "configure");
  show($("connect-jira-cloud"), false);
  const outcome = takeJiraCloudOutcome(org, (error) => showError($("connections-error"), error));
  if (outcome) $("connection-result").replaceChildren(outcome);
  await refreshList();
}

async function refreshList() {
  showError($("connections-error"), null);
  try {
    const answer = await api.connections(panel.org);
    panel.list = answer.connections;
    panel.readiness = await readiness();
    // Offered only where the deployment has an Atlassian OAuth app (otherwise the route answers 503).
    show($("connect-jira-cloud"), panel.permission === "configure" && answer.jira_cloud_oauth?.configured === true);
  } catch (error) {
    panel.list = [];
    showError($("connections-error"), error);
  }
  renderList();
  panel.onChange(panel.list);
}

// The required fields each connection's mapping leaves unset, recomputed by readiness from its last test (the list
// still shows without it).
async function readiness() {
  try {
    const status = await api.status(panel.org);
    return Object.fromEntries((status.connections || []).map((summary) => [summary.id, summary.fields]));
  } catch {
    return {};
  }
}

function renderList() {
  const rows = panel.list.map((connection) => el("tr", { "data-id": connection.id },
    el("td", {}, el("strong", { text: connection.name }), connection.default ? badge("synced", "default") : null),
    el("td", { text: KINDS[connection.kind]?.label || connection.kind }),
    el("td", {}, state(connection)),
    el("td", { class: "row-actions" }, ...actions(connection))));
  if (!rows.length) {
    rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted",
      text: "No connection: tickets use the deployment default, if the operator configured one." })));
  }
  $("connections-table").tBodies[0].replaceChildren(...rows);
}

function state(connection) {
  const parts = [];
  if (connection.disabled) parts.push(badge("closed", "disabled"));
  parts.push(connection.configured ? badge("synced", "configured") : badge("error", `missing ${connection.missing.join(", ")}`));
  parts.push(...jiraCloudBadges(connection));
  parts.push(badge(connection.inbound === "open" ? "synced" : "pending", `inbound ${connection.inbound}`));
  const test = connection.last_test;
  if (test) parts.push(badge(test.ok ? "synced" : "error", test.ok ? `tested ${when(test.tested_at)}` : `test failed: ${failed(test)}`));
  const unset = (panel.readiness[connection.id] ?? test?.preflight)?.missing;
  if (unset?.length) parts.push(badge("error", `required fields unset: ${unset.map((field) => field.id).join(", ")}`));
  return el("span", {}, ...parts);
}

const failed = (test) => test.steps.filter((step) => !step.ok).map((step) => `${step.name} ${step.error}`).join(", ");

function actions(connection) {
  if (panel.permission !== "configure") return [];
  if (panel.confirming === connection.id) {
    // An OAuth connection is "disconnected": deleting it also removes the webhooks it registered in the tracker.
    const oauth = KINDS[connection.kind]?.oauth;
    return [el("span", { text: oauth ? "Disconnect (delete the connection and its webhooks)? " : "Delete this connection? " }),
      button("Yes, delete", "delete-confirm", connection, async () => {
        await api.deleteConnection(panel.org, connection.id);
        panel.confirming = null;
      }),
      el("button", { type: "button", class: "small", text: "Cancel", onclick: () => { panel.confirming = null; renderList(); } })];
  }
  return [
    button("Test", "test", connection, async () => {
      const result = await api.testConnection(panel.org, connection.id);
      const unset = result.preflight?.missing?.length
        ? ` The tracker requires fields nothing sets: ${result.preflight.missing.map((f) => `${f.id} (${f.name})`).join(", ")}.`
        : "";
      result.ok ? note(`Test of ${connection.name}: every step worked (${result.steps.map((s) => s.name).join(", ")}).`)
        : note(`Test of ${connection.name} failed: ${failed(result)}.${unset}`, true);
    }),
    el("button", { type: "button", class: "small", text: "Edit", "data-action": "edit", onclick: () => openForm(connection) }),
    button(connection.disabled ? "Enable" : "Disable", "toggle", connection,
      () => api.updateConnection(panel.org, connection.id, { disabled: !connection.disabled })),
    connection.default ? null : button("Make default", "default", connection,
      () => api.updateConnection(panel.org, connection.id, { default: true })),
    KINDS[connection.kind]?.oauth ? button("Reconnect", "reconnect", connection,
      () => startJiraCloud(panel.org, { connection_id: connection.id })) : null,
    // An OAuth connection's deliveries are signed by Atlassian with the app's secret: it has no inbound secret.
    KINDS[connection.kind]?.oauth ? null : button("Rotate inbound secret", "rotate", connection, async () => {
      const rotated = await api.rotateInboundSecret(panel.org, connection.id);
      $("connection-result").replaceChildren(shownOnce("New inbound secret", rotated.webhook_secret, "new-inbound-secret"),
        el("p", { class: "hint", text: rotated.previous_valid_until
          ? `The previous secret keeps working until ${when(rotated.previous_valid_until)}: update the tracker before then.`
          : "Set it in the tracker's webhook now." }));
    }),
    el("button", { type: "button", class: "small danger", text: KINDS[connection.kind]?.oauth ? "Disconnect" : "Delete",
      "data-action": "delete",
      onclick: () => { panel.confirming = connection.id; renderList(); } }),
  ].filter(Boolean);
}

function button(label, name, connection, run) {
  const node = el("button", { type: "button", class: "small", text: label, "data-action": name });
  node.addEventListener("click", async () => {
    node.disabled = true;
    showError($("connections-error"), null);
    try {
      await run();
      await refreshList();
    } catch (error) {
      showError($("connections-error"), error);
      node.disabled = false;
    }
  });
  return node;
}

function note(text, bad = false) {
  $("connection-result").replaceChildren(el("p", { class: bad ? "error" : "ok", text }));
}

// ---- the add / edit form ------------------------------------------------------------------------------------

function openForm(connection = null) {
  panel.editing = connection;
  const form = $("connection-form");
  const kind = el("select", { id: "connection-kind", name: "kind" },
    ...Object.entries(KINDS).filter(([value, spec]) => !spec.oauth || connection?.kind === value)
      .map(([value, spec]) => el("option", { value, text: spec.label })));
  if (connection) { kind.value = connection.kind; kind.disabled = true; }
  const fields = el("div", { id: "connection-fields", class: "fields" });
  const drawFields = () => fields.replaceChildren(...KINDS[kind.value].fields.map((field) => input(field, connection)));
  kind.addEventListener("change", drawFields);
  drawFields();
  panel.editor = fieldsEditor(panel.org, connection, () => kind.value, connection && panel.readiness[connection.id]);
  const name = el("input", { id: "connection-name", name: "name", required: "", maxlength: "200",
    value: connection?.name || "" });
  const isDefault = el("input", { id: "connection-default", type: "checkbox" });
  isDefault.checked = connection ? connection.default : panel.list.length === 0;
  form.replaceChildren(
    el("h3", { text: connection ? `Edit ${connection.name}` : "Add a connection" }),
    el("label", { for: "connection-kind", text: "Tracker" }), kind,
    el("label", { for: "connection-name", text: "Name" }), name,
    fields,
    panel.editor.node,
    el("label", { class: "inline" }, isDefault, " Default for new tickets"),
    el("p", { id: "connection-form-error", class: "error", role: "alert", hidden: "" }),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "link", text: "Cancel", onclick: () => show(form, false) }),
      el("button", { type: "submit", id: "connection-save", text: connection ? "Save" : "Add connection" })));
  form.onsubmit = (event) => { event.preventDefault(); save(kind.value, name.value, isDefault.checked); };
  show(form, true);
  name.focus();
}

function input(field, connection) {
  const id = `field-${field.name}`;
  let control;
  if (field.options) {
    control = el("select", { id, name: field.name }, ...field.options.map((value) => el("option", { value, text: value })));
    if (connection?.settings[field.name]) control.value = connection.settings[field.name];
  } else {
    const set = connection?.secrets?.[field.name]?.set;
    control = el("input", { id, name: field.name, type: field.secret ? "password" : "text", autocomplete: "off",
      spellcheck: "false", placeholder: field.secret && set ? "set — leave empty to keep" : "" });
    if (!field.secret && connection?.settings[field.name]) control.value = connection.settings[field.name];
  }
  control.dataset.secret = field.secret ? "1" : "";
  return el("div", { class: "field" },
    el("label", { for: id, text: field.label + (field.required ? "" : " (optional)") }), control,
    field.hint ? el("p", { class: "hint", text: field.hint }) : null);
}

async function save(kind, name, isDefault) {
  const settings = {}, secrets = {};
  for (const control of $("connection-fields").querySelectorAll("input, select")) {
    const value = control.value.trim();
    if (control.dataset.secret) {
      if (value) secrets[control.name] = value; // empty: keep what is stored
    } else if (value) {
      settings[control.name] = value;
    } else if (panel.editing?.settings[control.name] !== undefined) {
      settings[control.name] = null;
    }
  }
  const error = $("connection-form-error");
  showError(error, null);
  const ticketFields = panel.editor.settings();
  if (ticketFields === undefined) return; // the mapping is not JSON: said next to it
  Object.assign(settings, ticketFields);
  const body = { name, default: isDefault, settings, secrets };
  $("connection-save").disabled = true;
  try {
    if (panel.editing) {
      await api.updateConnection(panel.org, panel.editing.id, body);
      note(`Saved ${name}.`);
    } else {
      const created = await api.createConnection(panel.org, { kind, ...body });
      $("connection-result").replaceChildren(...(created.inbound_url
        ? [shownOnce("Inbound URL", created.inbound_url, "new-inbound-url"),
          el("p", { class: "hint", text: "Register it in the tracker's webhook (see docs/trackers/); it is not shown again." })]
        : [el("p", { class: "hint", id: "poll-only-note",
          text: "Poll-only: no inbound URL; Ticket Sync reads the tracker's changes itself." })]));
    }
    show($("connection-form"), false);
    await refreshList();
  } catch (failure) {
    if (!panel.editor.showProblem(failure)) showError(error, failure);
  } finally {
    $("connection-save").disabled = false;
  }
}

$("add-connection").addEventListener("click", () => openForm());
$("connect-jira-cloud").addEventListener("click", () =>
  startJiraCloud(panel.org).catch((error) => showError($("connections-error"), error)));
