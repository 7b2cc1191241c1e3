// Sales sections: the revenue chart (with the compared period), top products and the live
// transactions feed.
import { drawRevenue } from "./dashboard-charts.js";
import { byId, el, renderTable, setCsv, stat } from "./dashboard-dom.js";
import { fmtDay, fmtMoney, fmtNumber, fmtShare, fmtTime } from "./dashboard-format.js";
import { interval, periodQuery } from "./dashboard-period.js";
import { change } from "./dashboard-tiles.js";
import { openCustomer } from "./dashboard-panel.js";

const LIVE_ROWS = 12;

function seriesPath(state) {
  return `/timeseries?${periodQuery(state)}&interval=${interval(state)}&compare=${state.compare}`;
}

function totals(body) {
  const now = body.totals, was = body.previous_totals || {};
  const pct = (a, b) => (b === undefined || b === null || Number(b) === 0 ? null
    : Math.round(((Number(a) - Number(b)) / Number(b)) * 10000) / 100);
  const cmp = body.previous_totals !== null;
  const item = (label, key, format) => stat(label, format(now[key]),
    cmp ? change(pct(now[key], was[key]), format(was[key])) : undefined);
  return [
    item("Net revenue", "net_revenue", fmtMoney), item("Orders", "orders", fmtNumber),
    item("Avg. order", "aov", fmtMoney), item("New customers", "new_customers", fmtNumber),
  ];
}

export const revenue = {
  card: "revenue-card",
  paths: (state) => [seriesPath(state)],
  render([body], state) {
    setCsv("revenue-csv", seriesPath(state));
    const p = body.period;
    const vs = body.previous_period ? ` vs ${fmtDay(body.previous_period.from)} – ${fmtDay(body.previous_period.to)}` : "";
    byId("revenue-period").textContent = `${fmtDay(p.from)} – ${fmtDay(p.to)}${vs}`;
    const box = byId("revenue-totals");
    box.dataset.netRevenue = body.totals.net_revenue;
    box.replaceChildren(...totals(body));
    const chart = byId("revenue-chart");
    chart.dataset.points = body.data.length;
    chart.dataset.netRevenue = body.totals.net_revenue;
    drawRevenue("revenue-chart", body);
  },
};

const PRODUCT_COLUMNS = [
  { label: "#", key: "rank", cls: "num narrow" },
  { label: "Product", format: (r) => r.name || `Product ${r.product_id}` },
  { label: "Units", format: (r) => fmtNumber(r.units), cls: "num" },
  { label: "Revenue", format: (r) => fmtMoney(r.revenue), cls: "num" },
  { label: "Share", format: (r) => fmtShare(r.revenue_share), cls: "num" },
];

export const topProducts = {
  card: "products-card",
  paths: (state) => [`/products/top?${periodQuery(state)}&limit=8`],
  render([body], state) {
    setCsv("products-csv", `/products/top?${periodQuery(state)}`);
    renderTable(byId("top-products"), PRODUCT_COLUMNS, body.data, null, "No sales in this period");
  },
};

function who(row) {
  const box = el("span", null, "who");
  box.append(el("strong", row.name || row.email || "Guest"));
  if (row.name && row.email) box.append(el("small", row.email));
  return box;
}

const LIVE_COLUMNS = [
  { label: "Time", format: (r) => fmtTime(r.created_at) },
  { label: "Customer", format: who },
  { label: "Order", format: (r) => `#${r.number}` },
  { label: "Items", format: (r) => fmtNumber(r.items), cls: "num" },
  { label: "Value", format: (r) => fmtMoney(r.total), cls: "num strong" },
];

export const live = {
  card: "live-card",
  paths: () => [`/transactions/live?per_page=${LIVE_ROWS}`],
  render([body]) {
    setCsv("live-csv", "/transactions/live");
    const open = (row) => row.customer_key && openCustomer(row.customer_key);
    renderTable(byId("live"), LIVE_COLUMNS, body.data, open, "No paid orders yet");
  },
};
