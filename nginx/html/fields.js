// The connection form's ticket fields (docs/api.md, fields/preview): the field mapping (`settings.fields`, a JSON
// object edited as text), the assignee rule (`settings.assignee`), a preview of the values rendered for one of the
// org's evidence requests, and the tracker's required fields the last connection test found unset.
import { api } from "./api.js";
import { el, show, when } from "./dom.js";

// Until a preview names the placeholders this deployment offers ({{request.due_date}} only where the host's table
// has a due_date column).
const PLACEHOLDERS = ["{{request.title}}", "{{request.description}}", "{{request.id}}", "{{request.url}}",
  "{{org.name}}", "{{user.email}}", "{{user.name}}"];
// How many of the org's requests the preview offers (the first page of the list, by title).
const PREVIEW_CHOICES = 20;

// The section, for `connection` (null when adding) of the kind `kind()` says; `readiness` is the connection's
// `fields` line of the readiness checklist (GET …/ticket-sync/status), when there is one.
export function fieldsEditor(org, connection, kind, readiness) {
  const saved = connection?.settings?.fields;
  const mapping = el("textarea", { id: "field-mapping", name: "fields", rows: "5", spellcheck: "false",
    placeholder: '{"priority": {"name": "High"}, "labels": ["{{org.name}}"]}' });
  mapping.value = saved ? JSON.stringify(saved, null, 2) : "";
  const mappingError = el("p", { id: "field-mapping-error", class: "error", role: "alert", hidden: "" });
  const placeholders = el("p", { id: "field-placeholders", class: "hint" });
  const listPlaceholders = (names) => placeholders.replaceChildren("Placeholders: ",
    ...names.flatMap((name, index) => [index ? ", " : "", el("code", { text: name })]));
  listPlaceholders(PLACEHOLDERS);

  const stored = connection?.settings?.assignee || "none";
  const rule = el("select", { id: "field-assignee", name: "assignee" },
    ...["none", "creator", "account"].map((value) => el("option", { value, text: value })));
  rule.value = stored.startsWith("account:") ? "account" : stored;
  const account = el("input", { id: "field-assignee-account", autocomplete: "off", spellcheck: "false",
    "aria-label": "Tracker account id", placeholder: "the tracker's account id",
    value: stored.startsWith("account:") ? stored.slice(8) : "" });
  const showAccount = () => show(account, rule.value === "account");
  rule.addEventListener("change", showAccount);
  showAccount();
  const assigneeError = el("p", { id: "field-assignee-error", class: "error", role: "alert", hidden: "" });

  const requestChoice = el("select", { id: "preview-request", "aria-label": "Evidence request to preview for" });
  const result = el("div", { id: "fields-preview", "aria-live": "polite" });
  const previewButton = el("button", { type: "button", class: "small", id: "preview-fields", text: "Preview" });

  const fail = (node, text) => { node.textContent = text; show(node, Boolean(text)); };
  const clearErrors = () => { fail(mappingError, ""); fail(assigneeError, ""); };

  // The mapping as typed: an object, null (empty: none), or undefined after saying why it is not one.
  function fields() {
    const text = mapping.value.trim();
    if (!text) return null;
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
      fail(mappingError, "Fields: a JSON object from a tracker field to its value.");
    } catch (error) {
      fail(mappingError, `Fields: not JSON (${error.message}).`);
    }
    return undefined;
  }

  const assignee = () => rule.value === "account" ? `account:${account.value.trim()}` : rule.value;

  // A 422 naming the mapping or the assignee is shown next to it (`fields.x` from the preview, `settings.fields.x`
  // from a save); true when it was.
  function showProblem(error) {
    const field = (error?.problem?.field || "").replace(/^settings\./, "");
    if (error?.status !== 422) return false;
    if (field === "fields" || field.startsWith("fields.")) { fail(mappingError, error.message); return true; }
    if (field === "assignee") { fail(assigneeError, error.message); return true; }
    return false;
  }

  async function preview() {
    clearErrors();
    const typed = fields();
    if (typed === undefined) return;
    previewButton.disabled = true;
    try {
      const body = { kind: kind(), fields: typed, assignee: assignee() };
      if (requestChoice.value) body.evidence_request_id = requestChoice.value;
      const answer = await api.previewFields(org, body);
      listPlaceholders(answer.placeholders);
      result.replaceChildren(rendered(answer));
    } catch (error) {
      if (!showProblem(error)) result.replaceChildren(el("p", { class: "error", text: error.message }));
      else result.replaceChildren();
    } finally {
      previewButton.disabled = false;
    }
  }
  previewButton.addEventListener("click", preview);

  // The org's first requests to choose from; the preview runs once they are known (it also lists the placeholders).
  api.requests(org).then((page) => {
    const items = page.evidence_requests.slice(0, PREVIEW_CHOICES);
    requestChoice.replaceChildren(...items.map((item) => el("option", { value: item.id, text: item.title })));
    show(requestChoice, items.length > 0);
    preview();
  }).catch(() => show(requestChoice, false));

  const node = el("fieldset", { id: "ticket-fields", class: "fields" },
    el("legend", { text: "Ticket fields" }),
    el("div", { class: "field" },
      el("label", { for: "field-mapping", text: "Fields (optional)" }), mapping,
      el("p", { class: "hint", text: "A JSON object from a tracker field (Jira field id, ServiceNow column, Linear " +
        "issue input) to its value; strings may use placeholders. Empty: none." }),
      placeholders, mappingError),
    el("div", { class: "field" },
      el("label", { for: "field-assignee", text: "Assignee" }), rule, account,
      el("p", { class: "hint", text: "none: unassigned. creator: the tracker user with the e-mail of whoever asks " +
        "for the ticket (unassigned, and said in the thread, when there is none). account: that tracker account." }),
      assigneeError),
    el("div", { class: "field" },
      el("label", { for: "preview-request", text: "Preview for" }),
      el("div", { class: "row-actions" }, requestChoice, previewButton), result),
    preflight(connection, readiness));

  // What saving sends: `fields` as an object (null removes it), `assignee` when it changed; undefined when the
  // mapping is not JSON (the reason is shown).
  function settings() {
    clearErrors();
    const typed = fields();
    if (typed === undefined) return undefined;
    const out = {};
    if (typed) out.fields = typed;
    else if (saved) out.fields = null;
    if (assignee() !== stored) out.assignee = assignee();
    return out;
  }

  return { node, settings, showProblem };
}

function rendered(answer) {
  const entries = Object.entries(answer.fields).sort(([a], [b]) => a.localeCompare(b));
  const about = answer.evidence_request
    ? `A new ticket for "${answer.evidence_request.title}" would get, besides what Ticket Sync sets itself:`
    : "The org has no evidence requests: the request's placeholders render empty.";
  return el("div", {},
    el("p", { class: "hint", text: about }),
    entries.length
      ? el("dl", { class: "facts", id: "fields-preview-values" }, ...entries.flatMap(([name, value]) => [
        el("dt", { text: name }),
        el("dd", { "data-field": name, text: typeof value === "string" ? value : JSON.stringify(value) })]))
      : el("p", { class: "hint", text: "No fields besides those Ticket Sync sets itself." }),
    el("p", { class: "hint", id: "fields-preview-assignee", text: `Assignee: ${answer.assignee}` }));
}

// The required fields nothing sets, as of the connection's last test: readiness recomputes them against the saved
// mapping; without it, the test's own list.
function preflight(connection, readiness) {
  const missing = readiness?.missing ?? connection?.last_test?.preflight?.missing;
  if (!connection || !missing) return null;
  const tested = readiness?.checked_at ?? connection.last_test?.tested_at;
  if (!missing.length) {
    return el("p", { id: "fields-preflight", class: "ok",
      text: `Every field the tracker requires is set (test of ${when(tested)}).` });
  }
  return el("div", { id: "fields-preflight" },
    el("p", { class: "error", text: `The tracker requires fields nothing sets (test of ${when(tested)}); ` +
      "map them above, or creating a ticket is refused:" }),
    el("ul", { id: "fields-missing" }, ...missing.map((field) => el("li", { "data-field": field.id },
      el("code", { text: field.id }), ` ${field.name}`,
      field.allowed_values?.length ? ` — allowed: ${field.allowed_values.join(", ")}` : ""))));
}
