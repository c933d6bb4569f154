// The Sync health panel: what is out of sync in the org (GET …/ticket-sync/health) — counts, the links that need
// attention and the sweeps of its connections. Configure members retry a failed comment, re-sync a link and re-sync a
// connection from here; read members see the same without controls.
import { api } from "./api.js";
import { $, badge, el, show, showError, when } from "./dom.js";

const REASONS = {
  comment_failed: ["error", "comment failed"],
  comment_pending: ["pending", "comment waiting"],
  delivery_retrying: ["pending", "delivery retrying"],
  unverified: ["pending", "not verified"],
  sweep_failed: ["error", "sweep failed"],
  needs_reconnect: ["error", "connection needs reconnect"],
};

const panel = { org: null, permission: null, cursor: null, onChange: () => {} };

export async function loadHealth(org, permission, onChange) {
  Object.assign(panel, { org, permission, onChange: onChange || panel.onChange });
  $("health-result").replaceChildren();
  await refreshHealth();
}

export async function refreshHealth(more = false) {
  if (!panel.org) return;
  showError($("health-error"), null);
  try {
    const report = await api.health(panel.org, more ? panel.cursor : null);
    renderCounts(report.counts, report.thresholds);
    const rows = report.links.map(linkRow);
    if (more) $("health-links").tBodies[0].append(...rows);
    else $("health-links").tBodies[0].replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: "5", class: "muted", text: "Nothing needs attention." }))]));
    panel.cursor = report.next_cursor;
    show($("health-more"), Boolean(report.next_cursor));
    renderSweeps(report.sweeps);
  } catch (error) {
    showError($("health-error"), error);
  }
}

function renderCounts(counts, thresholds) {
  const minutes = Math.round(thresholds.comment_pending_seconds / 60);
  // "1 comment the tracker refused", "2 comments the tracker refused"
  const item = (key, one, many) => el("li", { class: counts[key] ? "todo" : "", "data-count": key },
    `${counts[key]} ${counts[key] === 1 ? one : many}`);
  $("health-counts").replaceChildren(
    el("li", { class: counts.links_needing_attention ? "todo" : "", "data-count": "links_needing_attention" },
      `${counts.links_needing_attention} of ${counts.links} linked tickets need attention`),
    item("comments_failed", "comment the tracker refused", "comments the tracker refused"),
    item("comments_pending", `comment still waiting after ${minutes} min`, `comments still waiting after ${minutes} min`),
    item("deliveries_retrying", "delivery retrying", "deliveries retrying"),
    item("links_unverified", "ticket not verified for two sweep intervals", "tickets not verified for two sweep intervals"),
    item("sweeps_failing", "sweep failing", "sweeps failing"),
    item("connections_needing_reconnect", "connection needs a reconnect", "connections need a reconnect"));
}

function linkRow(link) {
  return el("tr", { "data-id": link.evidence_request_id },
    el("td", { text: link.title }),
    el("td", { text: link.external_id || "being created" }),
    el("td", {}, ...link.reasons.map((reason) => {
      const [state, label] = REASONS[reason] || ["error", reason];
      return badge(state, label);
    })),
    el("td", { text: link.last_verified_at ? when(link.last_verified_at) : "never" }),
    el("td", { class: "row-actions" }, ...linkActions(link)));
}

function linkActions(link) {
  if (panel.permission !== "configure") return [];
  const buttons = [];
  if (link.reasons.includes("comment_failed")) {
    buttons.push(button("Retry", "retry", async () => {
      const answer = await api.retryTicket(panel.org, link.evidence_request_id);
      note(`Retrying ${link.title}: ${answer.sync_state === "synced" ? "sent" : answer.sync_state}.`);
    }));
  }
  buttons.push(button("Re-sync", "resync", async () => {
    const answer = await api.resyncTicket(panel.org, link.evidence_request_id);
    note(`Re-synced ${link.title}: ${repaired(answer.repairs)}.`);
  }));
  return buttons;
}

// What a re-sync repaired, in words.
function repaired(repairs) {
  const parts = [];
  if (repairs.comments_added) parts.push(`${repairs.comments_added} comment${repairs.comments_added === 1 ? "" : "s"} added`);
  if (repairs.status) parts.push(`status ${repairs.status.before || "none"} → ${repairs.status.after}`);
  if (repairs.link) parts.push(`ticket ${repairs.link}`);
  if (repairs.deleted) parts.push("the ticket was deleted in the tracker");
  if (repairs.deferred) parts.push("comments not compared yet (one of ours is on its way)");
  return parts.length ? parts.join(", ") : "the tracker already agreed";
}

function renderSweeps(sweeps) {
  const rows = sweeps.map((sweep) => el("tr", { "data-id": sweep.connection_id || `deployment:${sweep.kind}` },
    el("td", {}, el("strong", { text: sweep.name || "Deployment default" }), ` ${sweep.kind}`,
      sweep.inbound_mode === "poll" ? badge("closed", "poll-only") : null,
      sweep.disabled ? badge("closed", "disabled") : null,
      sweep.state === "needs_reconnect" ? badge("error", "needs reconnect") : null),
    el("td", {}, sweepState(sweep.last_sweep)),
    el("td", { text: sweep.last_sweep ? when(sweep.last_sweep.next_at) : "" }),
    el("td", { class: "row-actions" }, ...sweepActions(sweep))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4", class: "muted", text: "No tracker is swept for this organisation yet." })));
  $("health-sweeps").tBodies[0].replaceChildren(...rows);
}

function sweepState(last) {
  if (!last) return badge("closed", "not swept yet");
  const running = !last.finished_at || last.finished_at < last.started_at;
  const parts = [];
  if (running) parts.push(badge("pending", `running since ${when(last.started_at)}`));
  if (last.error) {
    parts.push(badge("error", last.sweepable ? "failed" : "cannot be swept"), el("span", { class: "error", text: ` ${last.error}` }));
  } else if (last.finished_at) {
    const changes = last.changes === null ? "" : `, ${last.changes} repaired`;
    parts.push(badge("synced", `ok${changes}`), el("span", { class: "muted", text: ` ${when(last.finished_at)}` }));
  }
  return el("span", {}, ...parts);
}

function sweepActions(sweep) {
  if (panel.permission !== "configure" || !sweep.connection_id || sweep.disabled) return [];
  return [button("Re-sync now", "resync-connection", async () => {
    await api.resyncConnection(panel.org, sweep.connection_id);
    note(`A sweep of ${sweep.name} runs now, in the background.`);
  })];
}

function button(label, name, run) {
  const node = el("button", { type: "button", class: "small", text: label, "data-action": name });
  node.addEventListener("click", async () => {
    node.disabled = true;
    showError($("health-error"), null);
    try {
      await run();
      await refreshHealth();
      panel.onChange();
    } catch (error) {
      showError($("health-error"), error);
      node.disabled = false;
    }
  });
  return node;
}

function note(text) {
  $("health-result").replaceChildren(el("p", { class: "ok", text }));
}

$("health-more").addEventListener("click", () => refreshHealth(true));
$("health-refresh").addEventListener("click", () => refreshHealth());
