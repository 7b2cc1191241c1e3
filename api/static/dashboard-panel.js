// The side panel: a customer's 360 (profile, orders, RFM, status, CLV, churn and its
// factors) or a list of customers (a segment's) whose rows open their 360.
import { getJson, SignedOut } from "./dashboard-api.js";
import { byId, el, renderTable, setCsv, stat } from "./dashboard-dom.js";
import {
  dash, fmtDay, fmtMoney, fmtNumber, fmtPct, fmtShare, fmtTime,
} from "./dashboard-format.js";

let onSignedOut = () => {};

export function panelSignedOut(handler) {
  onSignedOut = handler;
}

function show(title, ...nodes) {
  const body = byId("panel-body");
  body.replaceChildren(el("h2", title, "panel-title"), ...nodes);
  byId("panel").hidden = false;
  byId("panel-shade").hidden = false;
  byId("panel-close").focus();
}

export function closePanel() {
  byId("panel").hidden = true;
  byId("panel-shade").hidden = true;
}

async function load(path) {
  try {
    return (await getJson(path)).body;
  } catch (error) {
    if (error instanceof SignedOut) { closePanel(); onSignedOut(error); return null; }
    show("Could not load", el("p", error.message, "error"));
    return null;
  }
}

function block(title, ...stats) {
  const box = el("section", null, "panel-block");
  const grid = el("div", null, "stats");
  grid.append(...stats);
  box.append(el("h3", title), grid);
  return box;
}

function fullName(p) {
  return [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || "Guest";
}

function factors(churn) {
  const list = el("ul", null, "factors");
  const named = (churn.risk_factors || "").split(/[;,]\s*/).filter(Boolean);
  named.forEach((f) => list.append(el("li", f.replace(/_/g, " "))));
  if (!named.length) list.append(el("li", "No risk factors", "muted"));
  return list;
}

const ORDER_COLUMNS = [
  { label: "Order", format: (r) => `#${r.number}` },
  { label: "Placed", format: (r) => fmtTime(r.created_at) },
  { label: "Status", key: "status" },
  { label: "Items", format: (r) => fmtNumber(r.items), cls: "num" },
  { label: "Value", format: (r) => fmtMoney(r.total), cls: "num" },
  { label: "Refunded", format: (r) => (Number(r.refunds) ? fmtMoney(r.refunds) : dash), cls: "num" },
];

function blocks360(c) {
  const p = c.profile, clv = c.clv || {}, churn = c.churn || {};
  const orders = el("table", null, "data");
  renderTable(orders, ORDER_COLUMNS, c.orders.data, null, "No orders");
  const box = el("section", null, "panel-block");
  box.dataset.block = "orders";
  box.append(el("h3", `Orders (${fmtNumber(c.orders.pagination.total)})`), el("div", null, "table-box"));
  box.lastChild.append(orders);
  return [
    block("Purchases", stat("Orders", fmtNumber(p.orders)), stat("Spent (net)", fmtMoney(p.net_spent)),
      stat("Avg. order", fmtMoney(p.aov)), stat("First order", fmtDay(p.first_order_day)),
      stat("Last order", fmtDay(p.last_order_day)), stat("Refunds", fmtMoney(p.refunds))),
    block("RFM", stat("Segment", c.rfm.segment || dash), stat("Score", c.rfm.rfm_score || dash),
      stat("Recency", c.rfm.recency_days === null ? dash : `${c.rfm.recency_days} days`),
      stat("What to do", c.rfm.recommended_action || dash)),
    block("Status", stat("Status", c.status.status || dash),
      stat("Buys every", c.status.cycle_days ? `${fmtNumber(c.status.cycle_days, 1)} days` : dash),
      stat("Expected back", fmtDay(c.status.expected_return)),
      stat("Days overdue", fmtNumber(c.status.days_overdue))),
    block("Lifetime value", stat("So far", fmtMoney(clv.historical_clv)),
      stat("Next 6 months", fmtMoney(clv.predicted_clv_6m)), stat("Next 12 months", fmtMoney(clv.predicted_clv_12m)),
      stat("Range (12 m)", clv.clv_12m_low ? `${fmtMoney(clv.clv_12m_low)} – ${fmtMoney(clv.clv_12m_high)}` : dash),
      stat("Value segment", clv.value_segment || dash), stat("Confidence", clv.confidence_band || dash)),
    block("Churn risk", stat("Probability", fmtShare(churn.churn_probability)),
      stat("Level", churn.churn_level || dash), stat("Win-back discount", churn.winback_discount_pct === undefined || churn.winback_discount_pct === null ? dash : fmtPct(churn.winback_discount_pct, 0)),
      stat("Next order expected", fmtDay(churn.expected_next_order)),
      stat("Order frequency change", fmtPct(churn.frequency_change_pct)),
      stat("Risk factors", null, factors(churn))),
    box,
  ];
}

export async function openCustomer(key) {
  show("Loading…");
  const c = await load(`/customers/${encodeURIComponent(key)}?per_page=10`);
  if (!c) return;
  const p = c.profile;
  const contact = el("p", [p.email, p.phone, p.country].filter(Boolean).join(" · "), "muted");
  const view = el("div", null, "customer-360");
  view.dataset.customerKey = key;
  view.append(contact, ...blocks360(c));
  show(fullName(p), view);
}

const LIST_COLUMNS = [
  { label: "Customer", format: (r) => fullName(r) },
  { label: "Orders", format: (r) => fmtNumber(r.orders), cls: "num" },
  { label: "Spent (net)", format: (r) => fmtMoney(r.net_spent), cls: "num" },
  { label: "Last order", format: (r) => fmtDay(r.last_order_day) },
  { label: "Status", key: "status" },
];

export async function openList(title, path) {
  show("Loading…");
  const body = await load(`${path}&per_page=50`);
  if (!body) return;
  const table = el("table", null, "data");
  renderTable(table, LIST_COLUMNS, body.data, (row) => openCustomer(row.customer_key), "No customers");
  const csv = el("a", "CSV", "csv");
  csv.id = "panel-csv";
  const box = el("div", null, "table-box");
  box.append(table);
  const note = el("p", `${fmtNumber(body.pagination.total)} customers; pick one to open.`, "muted");
  show(title, note, csv, box);
  setCsv("panel-csv", path);
}
