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
    return problem?.detail || `The request failed (HTTP ${status}).`;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
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

export const api = {
  me: () => call("GET", "/api/v1/me"),
  status: (org) => call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/ticket-sync/status`),
  requests: (org, cursor) =>
    call("GET", `/api/v1/orgs/${encodeURIComponent(org)}/evidence-requests?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
  request: (org, id) => call("GET", request(org, id)),
  comments: (org, id) => call("GET", `${request(org, id)}/comments`),
  comment: (org, id, body) => call("POST", `${request(org, id)}/comments`, { body }),
  createTicket: (org, id) => call("POST", `${request(org, id)}/ticket`),
  closeTicket: (org, id) => call("POST", `${request(org, id)}/ticket/close`),
  retryTicket: (org, id) => call("POST", `${request(org, id)}/ticket/retry`),
  unlinkTicket: (org, id) => call("DELETE", `${request(org, id)}/ticket`),
};
