// Jira Cloud connected with OAuth 2.0 (docs/trackers/jira-cloud.md). "Connect Jira Cloud" and "Reconnect" send the
// browser to Atlassian's consent page; Atlassian's redirect comes back through the service's callback, which returns
// here with the outcome in the URL fragment: `jira_cloud=connected`, `choose_site` (with `sites`) or `error`.
import { api } from "./api.js";
import { badge, el } from "./dom.js";

// Starts the flow (a reconnect names its connection; a site choice names the site) and leaves for Atlassian.
export async function startJiraCloud(org, body = {}) {
  const started = await api.connectJiraCloud(org, body);
  location.assign(started.authorize_url);
}

// The outcome the callback left in the fragment, taken once (it leaves the address bar): what to show, or null.
export function takeJiraCloudOutcome(org, onError) {
  const params = new URLSearchParams(location.hash.slice(1));
  const outcome = params.get("jira_cloud");
  if (!outcome) return null;
  history.replaceState(null, "", location.pathname + location.search);
  if (outcome === "connected") {
    return el("p", { class: "ok", id: "jira-cloud-outcome",
      text: "Jira Cloud is connected and its webhooks are registered. Set its project key with Edit if it has none." });
  }
  if (outcome === "choose_site") {
    const sites = (params.get("sites") || "").split(",").filter(Boolean).map((entry) => entry.split("|"));
    return el("div", { id: "jira-cloud-outcome" },
      el("p", { text: "Your Atlassian account reaches several Jira sites: choose the one to connect." }),
      ...sites.map(([id, url]) => el("button", { type: "button", class: "small", "data-action": "choose-site",
        "data-site": id, text: url || id, onclick: () => startJiraCloud(org, { site: id }).catch(onError) })));
  }
  return el("p", { class: "error", id: "jira-cloud-outcome",
    text: `Connecting Jira Cloud failed (${params.get("reason") || "unknown reason"}); try again.` });
}

// What the connection's row says besides the common badges: whom it acts as, and a grant Atlassian refused.
export function jiraCloudBadges(connection) {
  const parts = [];
  if (connection.state === "needs_reconnect") parts.push(badge("error", "needs reconnect"));
  if (connection.kind === "jira_cloud" && connection.settings.account_name) {
    parts.push(badge("synced", `acting as ${connection.settings.account_name}`));
  }
  const expires = connection.kind === "jira_cloud" ? Date.parse(connection.settings.webhooks_expire_at || "") : NaN;
  if (!Number.isNaN(expires)) {
    const days = Math.max(0, Math.floor((expires - Date.now()) / 86400000));
    parts.push(badge(days >= 10 ? "synced" : "pending", `webhooks expire in ${days} days`));
  } else if (connection.kind === "jira_cloud" && !connection.disabled) {
    parts.push(badge("pending", "webhooks not registered yet"));
  }
  return parts;
}
