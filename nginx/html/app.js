// The Ticket Sync page: sign in, pick an org, list evidence requests, and work one request's ticket and thread.
// Everything user-supplied is written with textContent, never as HTML.
import { api, ApiError, session } from "./api.js";
import { connectionsOf, loadConnections } from "./connections.js";
import { $, badge, el, safeHref, show, showError, when } from "./dom.js";
import { loadHealth, refreshHealth } from "./health.js";

const POLL_MS = 3000;

const state = { me: null, org: null, permission: null, cursor: null, open: null, poll: null, lastFocus: null };
// What the modal last drew, so that polling only redraws what changed (focus and screen readers stay put).
const drawn = { actions: null, thread: null, confirming: false };

// ---- sign-in -------------------------------------------------------------------------------------------------

// A token in the link (`#token=…`) is not used until the user has seen whom it signs in as and agreed: a link
// must never silently switch someone into another account, whose orgs would then receive what they type.
async function takeTokenFromFragment() {
  const match = location.hash.match(/token=([^&]+)/);
  if (!match) return false;
  history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar at once
  const token = decodeURIComponent(match[1]);
  let me;
  try {
    me = await api.meWith(token);
  } catch (error) {
    showSignIn(error);
    return true;
  }
  show($("workspace"), false);
  show($("session"), false);
  show($("sign-in"), false);
  $("confirm-who").textContent = `${me.user.display_name} (${me.user.email})`;
  $("confirm-orgs").replaceChildren(...(me.orgs.length
    ? me.orgs.map((org) => el("li", { text: `${org.name} — ${org.permission}` }))
    : [el("li", { class: "muted", text: "no organisation" })]));
  show($("confirm-sign-in"), true);
  $("confirm-continue").onclick = () => { show($("confirm-sign-in"), false); session.token = token; start(); };
  $("confirm-cancel").onclick = () => { show($("confirm-sign-in"), false); start(); };
  $("confirm-continue").focus();
  return true;
}

async function start() {
  if (!session.token) return showSignIn();
  try {
    state.me = await api.me();
  } catch (error) {
    session.token = null;
    return showSignIn(error);
  }
  show($("sign-in"), false);
  show($("session"), true);
  show($("workspace"), true);
  $("who").textContent = state.me.user.display_name + sessionEnd(state.me.token);
  const select = $("org");
  select.replaceChildren(...state.me.orgs.map((org) => el("option", { value: org.id, text: org.name })));
  if (!state.me.orgs.length) {
    showError($("requests-error"), new Error("You are not a member of any organisation yet."));
    return;
  }
  await selectOrg(state.me.orgs[0].id);
}

/** " · session ends 2 Dec 2026, 14:05" for a token that expires; nothing for one that lasts until revoked. */
function sessionEnd(token) {
  if (!token || !token.expires_at) return "";
  const when = new Date(token.expires_at);
  return ` · session ends ${when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}`;
}

function showSignIn(error) {
  show($("workspace"), false);
  show($("session"), false);
  show($("sign-in"), true);
  showError($("sign-in-error"), error);
  $("token").focus();
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  session.token = $("token").value.trim();
  $("token").value = "";
  takeTokenFromFragment().then((taken) => { if (!taken) start(); });
// A sign-in link opened in a tab that already shows the page changes only the fragment.
window.addEventListener("hashchange", () => { takeTokenFromFragment(); });
});

$("sign-out").addEventListener("click", () => {
  session.token = null;
  closeModal();
  showSignIn();
});

$("org").addEventListener("change", (event) => selectOrg(event.target.value));
$("history").addEventListener("toggle", () => loadHistory());

// ---- org: setup checklist and request list ----------------------------------------------------------------

async function selectOrg(orgID) {
  state.org = orgID;
  state.permission = state.me.orgs.find((org) => org.id === orgID)?.permission;
  $("org").value = orgID;
  $("requests").tBodies[0].replaceChildren();
  state.cursor = null;
  await Promise.all([loadSetup(), loadRequests(), loadConnections(orgID, state.permission, () => loadSetup()),
    loadHealth(orgID, state.permission, () => loadRequests())]);
}

async function loadSetup() {
  const list = $("setup-list");
  try {
    const status = await api.status(state.org);
    list.replaceChildren(...setupItems(status));
  } catch (error) {
    list.replaceChildren(el("li", { class: "todo", text: error.message }));
  }
}

// The deployment default names environment settings (for the operator); an org's connections name their fields.
function setupItems(status) {
  const item = (ok, title, text) => el("li", { class: ok ? "ok" : "todo" }, el("strong", { text: title }), text);
  if (status.source === "deployment_default") {
    return [
      item(status.configured, `Ticket provider: ${status.provider}`,
        status.configured ? " — configured (deployment default)" : ` — not configured: set ${status.missing_keys.join(", ")}`),
      item(status.inbound === "open", "Inbound sync: ",
        status.inbound === "open" ? "open" : "closed (set TICKET_WEBHOOK_SECRET to receive replies)"),
      ...subscribeItem(status.inbound_events, status.status_map),
    ];
  }
  if (status.source === "none") return [item(false, "Ticket provider: ", "none — add a tracker connection below")];
  const chosen = status.connections.find((connection) => connection.id === status.default_connection_id);
  return [
    item(status.configured, `Ticket provider: ${status.provider || "none"}`,
      chosen ? (status.configured ? ` — ${chosen.name}, configured` : ` — ${chosen.name}, missing ${status.missing.join(", ")}`)
        : " — no default connection: mark one as default"),
    item(status.inbound === "open", "Inbound sync: ",
      status.inbound === "open" ? "open" : "closed (set the connection's webhook secret to receive replies)"),
    ...subscribeItem(status.inbound_events, chosen?.status_map),
    ...requiredFieldsItem(chosen?.fields, item),
  ];
}

// The required fields the default connection's mapping leaves unset, as of its last test (readiness recomputes them
// against the saved mapping); nothing when no test has read them.
function requiredFieldsItem(fields, item) {
  if (!fields) return [];
  const unset = fields.missing.map((field) => `${field.id} (${field.name})`).join(", ");
  return [item(fields.ok, "Required fields: ", fields.ok ? "every field the tracker requires is set"
    : `unset: ${unset} — map them in the connection's ticket fields, or creating a ticket is refused`)];
}

// What the tracker's webhook must send for replies and status changes to come back, and where statuses lead.
function subscribeItem(events, statusMap) {
  if (!events?.length) return [];
  const mapping = statusMap ? `; status map ${statusMap}` : "";
  return [el("li", { class: "info", "data-role": "subscribe" }, el("strong", { text: "Tracker webhook events: " }),
    `${events.join(", ")}${mapping}`)];
}

async function loadRequests(more = false) {
  const body = $("requests").tBodies[0];
  showError($("requests-error"), null);
  try {
    const page = await api.requests(state.org, more ? state.cursor : null);
    if (!more) body.replaceChildren();
    for (const item of page.evidence_requests) body.append(requestRow(item));
    state.cursor = page.next_cursor;
    show($("more"), Boolean(page.next_cursor));
  } catch (error) {
    showError($("requests-error"), error);
  }
}

function ticketSummary(ticket) {
  if (!ticket) return el("span", { class: "muted", text: "No ticket" });
  return el("span", {}, `${ticket.external_id} `, badge(ticket.sync_state), ticket.closed ? badge("closed") : null);
}

function requestRow(item) {
  const open = el("button", { type: "button", class: "link", text: item.title, onclick: () => openModal(item.id) });
  return el("tr", { "data-id": item.id },
    el("td", {}, open), el("td", { text: item.status.replace("_", " ") }), el("td", {}, ticketSummary(item.ticket)));
}

$("more").addEventListener("click", () => loadRequests(true));

// ---- the detail modal --------------------------------------------------------------------------------------

async function openModal(id) {
  state.lastFocus = document.activeElement;
  // The thread is loaded a page at a time: the newest page first, earlier ones on demand, then only what is new.
  state.open = { id, request: null, comments: [], next: null, previous: null };
  const history = $("history");
  history.hidden = state.permission !== "configure";
  history.open = false;
  $("history-list").replaceChildren();
  Object.assign(drawn, { actions: null, thread: null, confirming: false });
  showError($("ticket-error"), null);
  showError($("comment-error"), null);
  show($("modal-backdrop"), true);
  $("modal").focus();
  await refresh();
  state.poll = setInterval(refresh, POLL_MS); // replies from the tracker appear without a reload
}

function closeModal() {
  clearInterval(state.poll);
  state.poll = null;
  if (!state.open) return;
  state.open = null;
  show($("modal-backdrop"), false);
  state.lastFocus?.focus();
  loadRequests();
  refreshHealth();
}

/** The request's audit trail (configure members only), newest first: loaded when opened, and on each refresh. */
async function loadHistory() {
  const open = state.open;
  const details = $("history");
  if (!open || details.hidden || !details.open) return;
  try {
    const page = await api.history(state.org, open.id);
    if (state.open !== open) return;
    showError($("history-error"), null);
    $("history-list").replaceChildren(...page.events.map(historyItem));
    if (!page.events.length) $("history-list").replaceChildren(el("li", { class: "muted", text: "Nothing yet." }));
  } catch (error) {
    showError($("history-error"), error);
  }
}

function historyItem(event) {
  const actor = event.actor;
  const who = actor.kind === "user"
    ? (actor.user_id === state.me.user.id ? "you" : `user ${actor.user_id.slice(0, 8)}`)
    : actor.kind === "connection" ? "the tracker" : actor.kind === "cli" ? "the command line" : "Ticket Sync";
  return el("li", {},
    el("time", { datetime: event.at, text: when(event.at) }), " ",
    el("span", { class: "action", text: event.action }), ` by ${who}`);
}

async function refresh() {
  const open = state.open;
  if (!open) return;
  loadHistory();
  try {
    const [request, page] = await Promise.all([api.request(state.org, open.id), fetchThread(open)]);
    if (state.open !== open) return;
    open.request = request;
    renderRequest(request);
    merge(open, page.comments);
    open.next = page.next_cursor || open.next;
    if (!open.loaded) { open.previous = page.previous_cursor; open.loaded = true; }
    renderThread(open.comments);
  } catch (error) {
    showError($("ticket-error"), error);
  }
}

function renderRequest(request) {
  $("detail-title").textContent = request.title;
  $("detail-status").textContent = `Status: ${request.status.replace("_", " ")}`;
  $("detail-description").textContent = request.description;
  const ticket = request.ticket;
  const box = $("ticket");
  if (!ticket) {
    box.replaceChildren(el("p", { class: "muted", text: "No ticket is linked to this request." }));
  } else {
    const href = ticket.external_url && safeHref(ticket.external_url);
    const link = href
      ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: ticket.external_id })
      : el("span", { text: ticket.external_id });
    box.replaceChildren(el("dl", { class: "facts" },
      el("dt", { text: "Provider" }), el("dd", { text: ticket.provider }),
      el("dt", { text: "Ticket" }), el("dd", {}, link),
      el("dt", { text: "Sync" }), el("dd", {}, badge(ticket.sync_state), closedBadge(ticket)),
      ticket.tracker_status ? el("dt", { text: "Tracker status" }) : null,
      ticket.tracker_status ? el("dd", { "data-role": "tracker-status",
        text: `${ticket.tracker_status.name} (${ticket.tracker_status.category}), ${when(ticket.tracker_status.changed_at)}` }) : null,
      ticket.last_error ? el("dt", { text: "Last error" }) : null,
      ticket.last_error ? el("dd", { class: "error", text: ticket.last_error }) : null));
  }
  renderActions(ticket);
}

// Closed here by a user, or by the tracker's workflow (its status reached done).
function closedBadge(ticket) {
  if (!ticket.closed_at) return null;
  const by = ticket.closed_by === "tracker" ? `closed in ${ticket.provider === "servicenow" ? "ServiceNow" : ticket.provider === "jira" ? "Jira" : ticket.provider === "linear" ? "Linear" : "the tracker"}` : "closed";
  return badge("closed", `${by} ${when(ticket.closed_at)}`);
}

function renderActions(ticket, force = false) {
  const actions = $("ticket-actions");
  const key = JSON.stringify([state.permission, ticket?.external_id, ticket?.closed_at, ticket?.sync_state, ticket?.closed_by]);
  if (!force && (drawn.confirming || key === drawn.actions)) return;
  drawn.actions = key;
  drawn.confirming = false;
  if (state.permission !== "configure") return actions.replaceChildren();
  const buttons = [];
  if (!ticket) {
    // Several usable connections: the user picks one (the default is preselected); otherwise the server decides.
    const usable = connectionsOf().filter((connection) => !connection.disabled);
    let choice = null;
    if (usable.length > 1) {
      choice = el("select", { id: "ticket-connection", "aria-label": "Tracker for the new ticket" },
        ...usable.map((connection) => el("option", { value: connection.id,
          text: `${connection.name}${connection.default ? " (default)" : ""}` })));
      const preferred = usable.find((connection) => connection.default);
      if (preferred) choice.value = preferred.id;
      buttons.push(choice);
    }
    buttons.push(action("Create ticket", "create", () => api.createTicket(state.org, state.open.id, choice?.value)));
  }
  if (ticket && !ticket.closed_at) buttons.push(action("Close ticket", "close", () => api.closeTicket(state.org, state.open.id)));
  if (ticket?.sync_state === "error") buttons.push(action("Retry sync", "retry", () => api.retryTicket(state.org, state.open.id)));
  if (ticket) buttons.push(el("button", { type: "button", id: "unlink", class: "danger", text: "Unlink",
    onclick: () => confirmUnlink() }));
  actions.replaceChildren(...buttons);
}

function action(label, name, run) {
  const button = el("button", { type: "button", id: `ticket-${name}`, text: label });
  button.addEventListener("click", async () => {
    button.disabled = true;
    showError($("ticket-error"), null);
    try {
      await run();
      await refresh();
    } catch (error) {
      showError($("ticket-error"), error);
      button.disabled = false;
    }
  });
  return button;
}

function confirmUnlink() {
  const actions = $("ticket-actions");
  drawn.confirming = true;
  const cancel = el("button", { type: "button", text: "Cancel", onclick: () => renderActions(state.open.request.ticket, true) });
  const confirm = action("Yes, unlink", "unlink-confirm", async () => {
    await api.unlinkTicket(state.org, state.open.id);
    drawn.confirming = false;
  });
  actions.replaceChildren(el("span", { text: "Unlink this ticket? It stays open in the tracker. " }), confirm, cancel);
  confirm.focus();
}

const THREAD_PAGE = 50;

// First the newest page; then only comments after the last one seen — unless one of ours is still pending, when the
// newest page is read again so that its sync state updates (it is almost always among the newest).
function fetchThread(open) {
  const pending = open.comments.some((comment) => comment.source === "internal" && comment.sync_state === "pending");
  if (!open.loaded || pending || !open.next) return api.comments(state.org, open.id, { newest: true, limit: THREAD_PAGE });
  return api.comments(state.org, open.id, { cursor: open.next, limit: 200 });
}

// Adds new comments and replaces changed ones, keeping the thread's order (created_at, then id).
function merge(open, incoming) {
  const byId = new Map(open.comments.map((comment) => [comment.id, comment]));
  for (const comment of incoming) byId.set(comment.id, comment);
  open.comments = [...byId.values()].sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id);
}

async function loadEarlier() {
  const open = state.open;
  if (!open?.previous) return;
  const page = await api.comments(state.org, open.id, { before: open.previous, limit: THREAD_PAGE });
  if (state.open !== open) return;
  merge(open, page.comments);
  open.previous = page.previous_cursor;
  renderThread(open.comments);
}

function renderThread(comments) {
  const key = JSON.stringify([comments, Boolean(state.open?.previous)]);
  if (key === drawn.thread) return;
  drawn.thread = key;
  const items = comments.map((comment) => el("li", { class: `comment ${comment.source}`, "data-id": String(comment.id) },
    el("div", { class: "meta" },
      badge(comment.source, { internal: "Internal", external: "External", system: "Status" }[comment.source] || comment.source),
      el("strong", { text: comment.author }),
      el("time", { datetime: comment.created_at, text: when(comment.created_at) }),
      comment.source === "internal" && comment.sync_state ? badge(comment.sync_state) : null),
    el("p", { class: "body", text: comment.body }),
    comment.last_error ? el("p", { class: "error", text: comment.last_error }) : null));
  if (!items.length) items.push(el("li", { class: "muted", text: "No comments yet." }));
  $("thread").replaceChildren(...items);
  show($("earlier"), Boolean(state.open?.previous));
}

async function sendComment() {
  const box = $("comment-body");
  const text = box.value;
  if (!text.trim()) return;
  $("send").disabled = true;
  showError($("comment-error"), null);
  try {
    await api.comment(state.org, state.open.id, text);
    box.value = ""; // only once the comment is stored: a failed send keeps its text
    await refresh();
  } catch (error) {
    showError($("comment-error"), error);
  } finally {
    $("send").disabled = false;
  }
}

$("comment-form").addEventListener("submit", (event) => { event.preventDefault(); sendComment(); });
$("comment-body").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendComment(); }
});
$("close-modal").addEventListener("click", closeModal);
$("earlier").addEventListener("click", () => loadEarlier().catch((error) => showError($("comment-error"), error)));
$("modal-backdrop").addEventListener("click", (event) => { if (event.target === $("modal-backdrop")) closeModal(); });

// Escape closes the modal; Tab stays inside it.
document.addEventListener("keydown", (event) => {
  if (!state.open) return;
  if (event.key === "Escape") { event.preventDefault(); closeModal(); return; }
  if (event.key !== "Tab") return;
  const focusable = [...$("modal").querySelectorAll("button, a[href], textarea, input, select")]
    .filter((node) => !node.disabled && node.offsetParent !== null);
  if (!focusable.length) return;
  const first = focusable[0], last = focusable[focusable.length - 1];
  if (event.shiftKey && (document.activeElement === first || document.activeElement === $("modal"))) {
    event.preventDefault(); last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault(); first.focus();
  }
});

window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof ApiError && event.reason.status === 401) { session.token = null; showSignIn(event.reason); }
});

takeTokenFromFragment().then((taken) => { if (!taken) start(); });
// A sign-in link opened in a tab that already shows the page changes only the fragment.
window.addEventListener("hashchange", () => { takeTokenFromFragment(); });
