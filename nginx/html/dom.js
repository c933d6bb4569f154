// Small DOM helpers shared by the page's modules. Everything user-supplied is written with textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function show(node, visible) { node.hidden = !visible; }

export function showError(node, error) {
  node.textContent = error ? (error.message || String(error)) : "";
  show(node, Boolean(error));
}

export const when = (iso) => iso ? new Date(iso).toLocaleString() : "";
export const badge = (stateName, label) => el("span", { class: `badge ${stateName}`, text: label || stateName });

// Only http(s) URLs become links: a tracker (or anyone who wrote the row) cannot plant javascript: or data: here.
export function safeHref(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// A value shown once (an inbound URL, a new secret), with a button that copies it.
export function shownOnce(label, value, id) {
  const code = el("code", { id, text: value });
  const copy = el("button", { type: "button", class: "small", text: "Copy" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      copy.textContent = "Copied";
    } catch {
      window.getSelection().selectAllChildren(code); // no clipboard access: select it for Ctrl+C
      copy.textContent = "Selected — press Ctrl+C";
    }
  });
  return el("p", { class: "once" }, el("strong", { text: `${label} (shown once): ` }), code, " ", copy);
}
