// wcpulse dashboard: reads /api/v1/shops/<id>/... with the shop's API token and refreshes
// every 5 seconds (ETag polling: unchanged data costs a 304).
"use strict";
const shopId = decodeURIComponent(location.pathname.split("/").pop());
const api = `/api/v1/shops/${encodeURIComponent(shopId)}`;
const cache = new Map();
const LABELS = {
  revenue: "Revenue", refunds: "Refunds", net_revenue: "Net revenue", orders: "Orders",
  aov: "Average order value", customers: "Customers", new_customers: "New customers",
};
const ORDER_COLUMNS = ["number", "status", "created_at", "email", "total", "refunds", "net"];
const CUSTOMER_COLUMNS = ["email", "first_name", "last_name", "orders", "net_spent", "last_order_at"];

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) { sessionStorage.setItem(`wcpulse:${shopId}`, fromHash); history.replaceState(null, "", location.pathname); }
  return sessionStorage.getItem(`wcpulse:${shopId}`);
}

async function get(path) {
  const headers = { Authorization: `Bearer ${token()}` };
  const cached = cache.get(path);
  if (cached) headers["If-None-Match"] = cached.etag;
  const response = await fetch(api + path, { headers });
  if (response.status === 304) return cached.body;
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  cache.set(path, { etag: response.headers.get("ETag"), body });
  return body;
}

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value === null || value === undefined ? "–" : String(value);
  if (cls) el.className = cls;
  return el;
}

function renderKpis(body) {
  const box = document.getElementById("kpis");
  box.replaceChildren();
  document.getElementById("period-label").textContent =
    `${body.period.from} – ${body.period.to} vs ${body.previous_period.from} – ${body.previous_period.to} (${body.currency})`;
  for (const [name, kpi] of Object.entries(body.kpis)) {
    const card = text("div", "", "card");
    card.replaceChildren(text("div", LABELS[name] || name, "name"), text("div", kpi.value, "value"));
    const pct = kpi.change_pct;
    const change = pct === null ? "no base to compare" : `${pct > 0 ? "+" : ""}${pct}% vs ${kpi.previous}`;
    const good = name === "refunds" ? -pct : pct; // more refunds is bad news
    card.append(text("div", change, good > 0 ? "up" : good < 0 ? "down" : "muted"));
    box.append(card);
  }
}

function renderTable(id, columns, rows) {
  const table = document.getElementById(id);
  const head = document.createElement("tr");
  columns.forEach((c) => head.append(text("th", c)));
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    columns.forEach((c) => tr.append(text("td", row[c])));
    return tr;
  }));
}

function renderFreshness(body) {
  const lag = body.lag_seconds === null ? "" : `, lag ${body.lag_seconds.toFixed(1)} s`;
  document.getElementById("freshness").textContent = body.newest_event_at
    ? `newest event ${body.newest_event_at}${lag}` : "no events yet";
}

async function refresh() {
  const period = document.getElementById("period").value;
  try {
    const [kpis, orders, customers, fresh] = await Promise.all([
      get(`/kpis?period=${period}`), get("/orders?per_page=20"),
      get("/customers?per_page=20&sort=-net_spent"), get("/freshness"),
    ]);
    renderKpis(kpis);
    renderTable("orders", ORDER_COLUMNS, orders.data);
    renderTable("customers", CUSTOMER_COLUMNS, customers.data);
    renderFreshness(fresh);
    document.getElementById("error").hidden = true;
    document.getElementById("content").hidden = false;
  } catch (error) {
    const box = document.getElementById("error");
    box.textContent = `Cannot load the shop's data: ${error.message}`;
    box.hidden = false;
  }
}

async function download(view) {
  const response = await fetch(`${api}/${view}?format=csv`, { headers: { Authorization: `Bearer ${token()}` } });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${shopId}-${view}.csv`;
  link.click();
}

function start() {
  document.getElementById("shop-id").textContent = shopId;
  if (!token()) {
    const form = document.getElementById("token-form");
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(`wcpulse:${shopId}`, document.getElementById("token").value.trim());
      form.hidden = true;
      start();
    });
    return;
  }
  document.getElementById("period").addEventListener("change", refresh);
  document.getElementById("orders-csv").addEventListener("click", (e) => { e.preventDefault(); download("orders"); });
  document.getElementById("customers-csv").addEventListener("click", (e) => { e.preventDefault(); download("customers"); });
  refresh();
  setInterval(refresh, 5000);
}

start();
