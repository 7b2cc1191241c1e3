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
const CUSTOMER_COLUMNS = [
  "email", "first_name", "last_name", "orders", "net_spent", "last_order_at",
  "rfm_score", "segment", "status", "expected_return",
];
const SEGMENT_COLUMNS = ["segment", "customers", "share", "revenue", "recommended_action"];
const CLV_COLUMNS = [
  "email", "first_name", "last_name", "historical_clv", "predicted_clv_6m",
  "predicted_clv_12m", "confidence_band", "value_segment",
];
const CHURN_COLUMNS = [
  "email", "first_name", "last_name", "churn_probability", "churn_level", "risk_factors",
  "winback_discount_pct", "expected_next_order",
];
const VALUE_SEGMENTS = ["High", "Medium", "Low"];
const CHURN_LEVELS = ["Low", "Medium", "High", "Critical"];
const TOP_ROWS = 10;
const TIMELINE_DAYS = 14; // the churn timeline shows the newest recorded days

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

function percent(value) {
  return value === null || value === undefined ? null : `${(value * 100).toFixed(1)}%`;
}

function renderSegments(body) {
  document.getElementById("segments-label").textContent = body.scores_as_of
    ? `${body.scored_customers} customers with orders, scored as of ${body.scores_as_of}`
    : "no customers with orders yet";
  const rows = body.data.map((row) => ({ ...row, share: percent(row.share) }));
  renderTable("segments", SEGMENT_COLUMNS, rows);
  const head = document.querySelector("#segments thead tr");
  head.append(text("th", "export"));
  document.querySelectorAll("#segments tbody tr").forEach((tr, index) => {
    const link = text("a", "CSV");
    link.href = "#";
    link.addEventListener("click", (e) => {
      e.preventDefault();
      download(`segments?name=${encodeURIComponent(rows[index].segment)}`, rows[index].segment);
    });
    const cell = document.createElement("td");
    cell.append(link);
    tr.append(cell);
  });
}

function renderRetention(counts, contacts) {
  document.getElementById("retention-label").textContent =
    `Repeat purchase rate ${percent(counts.repeat_purchase_rate) || "–"}`;
  const rows = counts.purchase_counts.data.map((row) => ({ ...row, share: percent(row.share) }));
  renderTable("purchase-counts", counts.purchase_counts.columns, rows);
  renderTable("contacts", contacts.contacts.columns, contacts.contacts.data);
}

// Customers per value (or per level): the total of the list filtered by each name.
function counts(view, param, names) {
  return Promise.all(names.map((name) =>
    get(`/${view}?${param}=${encodeURIComponent(name)}&per_page=1`)
      .then((body) => ({ [param]: name, customers: body.pagination.total }))));
}

function loadPredictions() {
  return Promise.all([
    get(`/clv?per_page=${TOP_ROWS}`), get(`/churn?per_page=${TOP_ROWS}`),
    counts("clv", "value_segment", VALUE_SEGMENTS), counts("churn", "churn_level", CHURN_LEVELS),
    get("/churn/timeline"),
  ]);
}

// The churn timeline's rows (day, level, customers) as one row per day, newest first.
function timelineByDay(body) {
  const days = new Map();
  for (const raw of body.data) {
    const row = Array.isArray(raw) ? Object.fromEntries(body.columns.map((c, i) => [c, raw[i]])) : raw;
    const day = days.get(row.day) || { day: row.day };
    day[row.churn_level] = row.customers;
    days.set(row.day, day);
  }
  return [...days.values()].slice(-TIMELINE_DAYS).reverse();
}

function predictedLabel(body, what) {
  return body.predictions_as_of
    ? `${body.pagination.total} customers predicted as of ${body.predictions_as_of}; ${what}`
    : "no predictions yet";
}

function renderPredictions(clv, churn, values, levels, timeline) {
  document.getElementById("clv-label").textContent =
    predictedLabel(clv, `top ${clv.data.length} by predicted 12-month value (${clv.currency})`);
  renderTable("value-segments", ["value_segment", "customers"], values);
  renderTable("clv", CLV_COLUMNS, clv.data);
  document.getElementById("churn-label").textContent =
    predictedLabel(churn, `the ${churn.data.length} at highest risk`);
  renderTable("churn-levels", ["churn_level", "customers"], levels);
  const rows = churn.data.map((row) => ({
    ...row,
    churn_probability: percent(row.churn_probability),
    winback_discount_pct: row.winback_discount_pct === null ? null : `${row.winback_discount_pct}%`,
  }));
  renderTable("churn", CHURN_COLUMNS, rows);
  renderTable("churn-timeline", ["day", ...CHURN_LEVELS], timelineByDay(timeline));
}

function renderFreshness(body) {
  const lag = body.lag_seconds === null ? "" : `, lag ${body.lag_seconds.toFixed(1)} s`;
  document.getElementById("freshness").textContent = body.newest_event_at
    ? `newest event ${body.newest_event_at}${lag}` : "no events yet";
}

async function refresh() {
  const period = document.getElementById("period").value;
  try {
    const [kpis, orders, customers, fresh, segments, purchases, contacts, predictions] =
      await Promise.all([
        get(`/kpis?period=${period}`), get("/orders?per_page=20"),
        get("/customers?per_page=20&sort=-net_spent"), get("/freshness"),
        get("/segments"), get("/retention?table=purchase_counts"), get("/retention?table=contacts"),
        loadPredictions(),
      ]);
    renderKpis(kpis);
    renderTable("orders", ORDER_COLUMNS, orders.data);
    renderTable("customers", CUSTOMER_COLUMNS, customers.data);
    renderSegments(segments);
    renderRetention(purchases, contacts);
    renderPredictions(...predictions);
    renderFreshness(fresh);
    document.getElementById("error").hidden = true;
    document.getElementById("content").hidden = false;
  } catch (error) {
    const box = document.getElementById("error");
    box.textContent = `Cannot load the shop's data: ${error.message}`;
    box.hidden = false;
  }
}

async function download(view, name) {
  const join = view.includes("?") ? "&" : "?";
  const response = await fetch(`${api}/${view}${join}format=csv`, { headers: { Authorization: `Bearer ${token()}` } });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${shopId}-${(name || view).replace(/[^A-Za-z0-9]+/g, "-")}.csv`;
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
  document.getElementById("segments-csv").addEventListener("click", (e) => { e.preventDefault(); download("segments"); });
  document.getElementById("clv-csv").addEventListener("click", (e) => { e.preventDefault(); download("clv"); });
  document.getElementById("churn-csv").addEventListener("click", (e) => { e.preventDefault(); download("churn"); });
  refresh();
  setInterval(refresh, 5000);
}

start();
