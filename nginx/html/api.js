// The Ticket Sync API, as the page uses it. Errors are problem+json: thrown as ApiError with words a user can act on.

const TOKEN_KEY = "ticketsync.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(ApiError.describe(status, problem));
    this.status = status;
    this.problem = problem || {};
  }

  static describe(status, problem) {
    if (status === 0) return "The service cannot be reached. Check your connection and try again.";
    if (status === 401) return "Your token is not valid any more. Sign in again.";
    if (status === 403) return problem?.detail || "You do not have permission to do this.";
    if (status === 503 && problem?.missing_keys?.length) {
      return `${problem.detail} Ask an administrator to set ${problem.missing_keys.join(", ")}.`;
    }
    if (status === 422 && problem?.field) return `${problem.field}: ${problem.detail}`;
    return problem?.detail || `The request failed (HTTP ${status}).`;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function call(method, path, body, token = session.token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const request = (org, id) => `/api/v1/orgs/${encodeURIComponent(org)}/evidence-requests/${encodeURIComponent(id)}`;

const connections = (org) => `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/connections`;
const connection = (org, id) => `${connections(org)}/${encodeURIComponent(id)}`;

export const api = {
  me: () => call("GET", "/api/v1/me"),
  // Who a token signs in as, asked before the token is kept (a link's token is confirmed by the user first).
  meWith: (token) => call("GET", "/api/v1/me", undefined, token),
  status: (org) => call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/status`),
  requests: (org, cursor) =>
    call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/evidence-requests?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
  request: (org, id) => call("GET", request(org, id)),
  comments: (org, id, page = {}) => {
    const query = new URLSearchParams(Object.entries(page).filter(([, value]) => value !== undefined && value !== null));
    return call("GET", `${request(org, id)}/comments${query.size ? `?${query}` : ""}`);
  },
  comment: (org, id, body) => call("POST", `${request(org, id)}/comments`, { body }),
  createTicket: (org, id, connectionID) =>
    call("POST", `${request(org, id)}/ticket`, connectionID ? { connection_id: connectionID } : undefined),
  history: (org, id) =>
    call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/audit?limit=50&evidence_request_id=${encodeURIComponent(id)}`),
  connections: (org) => call("GET", connections(org)),
  createConnection: (org, body) => call("POST", connections(org), body),
  updateConnection: (org, id, body) => call("PATCH", connection(org, id), body),
  deleteConnection: (org, id) => call("DELETE", connection(org, id)),
  testConnection: (org, id) => call("POST", `${connection(org, id)}/test`),
  rotateInboundSecret: (org, id) => call("POST", `${connection(org, id)}/inbound-secret`),
  connectJiraCloud: (org, body) => call("POST", `${connections(org)}/oauth/jira`, body),
  closeTicket: (org, id) => call("POST", `${request(org, id)}/ticket/close`),
  retryTicket: (org, id) => call("POST", `${request(org, id)}/ticket/retry`),
  unlinkTicket: (org, id) => call("DELETE", `${request(org, id)}/ticket`),
  resyncTicket: (org, id) => call("POST", `${request(org, id)}/ticket/resync`),
  health: (org, cursor) =>
    call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/health?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
  resyncConnection: (org, id) => call("POST", `${connection(org, id)}/resync`),
  previewFields: (org, body) => call("POST", `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/fields/preview`, body),
};
