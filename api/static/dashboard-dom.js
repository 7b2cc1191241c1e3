// Small DOM helpers: elements with text (never HTML), tables that become cards on a phone,
// CSV links and each section's error line.
import { csvUrl } from "./dashboard-api.js";
import { dash } from "./dashboard-format.js";

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

// columns: [{ key, label, format(row) -> string | Node, cls }]; onRow(row) makes a row a button.
export function renderTable(table, columns, rows, onRow, empty = "Nothing yet") {
  const head = el("tr");
  columns.forEach((c) => head.append(el("th", c.label, c.cls)));
  const body = rows.map((row) => {
    const tr = el("tr");
    columns.forEach((c) => {
      const value = c.format ? c.format(row) : row[c.key];
      const td = el("td", null, c.cls);
      td.dataset.label = c.label;
      if (value instanceof Node) td.append(value);
      else td.textContent = value === null || value === undefined ? dash : String(value);
      tr.append(td);
    });
    if (onRow) clickable(tr, () => onRow(row));
    return tr;
  });
  if (!rows.length) {
    const td = el("td", empty, "empty");
    td.colSpan = columns.length;
    body.push(el("tr")); body[0].append(td);
  }
  table.replaceChildren(el("thead"), el("tbody"));
  table.tHead.append(head);
  table.tBodies[0].append(...body);
}

export function clickable(node, action) {
  node.classList.add("clickable");
  node.tabIndex = 0;
  node.addEventListener("click", action);
  node.addEventListener("keydown", (e) => { if (e.key === "Enter") action(); });
}

export function setCsv(id, path) {
  byId(id).href = csvUrl(path);
}

export function sectionError(cardId, message) {
  const box = byId(cardId).querySelector(".section-error");
  box.hidden = !message;
  box.textContent = message ? `Could not load this part: ${message}` : "";
}

// A labelled figure: <div class="stat"><span>label</span><strong>value</strong></div>
export function stat(label, value, extra) {
  const box = el("div", null, "stat");
  box.append(el("span", label, "stat-label"), el("strong", value, "stat-value"));
  if (extra) box.append(extra);
  return box;
}
