// Customer sections: RFM segments (a donut that opens a segment's customers), customers per
// value segment, and customers per churn level over time.
import { COLORS, drawBars, drawChurnTimeline, drawSegments } from "./dashboard-charts.js";
import { byId, setCsv } from "./dashboard-dom.js";
import { fmtDay, fmtNumber } from "./dashboard-format.js";
import { openList } from "./dashboard-panel.js";

const VALUE_SEGMENTS = ["High", "Medium", "Low"];
const TIMELINE_DAYS = 30;

export function openSegment(name) {
  openList(`${name}`, `/segments?name=${encodeURIComponent(name)}&sort=-net_spent`);
}

export const segments = {
  card: "segments-card",
  paths: () => ["/segments"],
  render([body]) {
    setCsv("segments-csv", "/segments");
    byId("segments-note").textContent = body.scores_as_of
      ? `${fmtNumber(body.scored_customers)} customers with orders, scored ${fmtDay(body.scores_as_of)}. Pick a segment to see its customers.`
      : "No customers with orders yet.";
    const chart = byId("segments-chart");
    chart.dataset.customers = body.data.reduce((sum, r) => sum + r.customers, 0);
    drawSegments("segments-chart", body.data, openSegment);
  },
};

export const values = {
  card: "values-card",
  paths: () => VALUE_SEGMENTS.map((v) => `/clv?value_segment=${v}&per_page=1`),
  render(bodies) {
    setCsv("values-csv", "/clv");
    const counts = bodies.map((b) => b.pagination.total);
    const first = bodies[0];
    byId("values-note").textContent = first.predictions_as_of
      ? `Customers by predicted 12-month value, as of ${fmtDay(first.predictions_as_of)}.`
      : "No predictions yet (the CLV job runs nightly).";
    byId("values-chart").dataset.counts = counts.join(",");
    drawBars("values-chart", VALUE_SEGMENTS, counts, COLORS.values);
  },
};

// The timeline's rows (day, churn_level, customers) as one object per day, oldest first.
function byDay(body) {
  const days = new Map();
  for (const row of body.data) {
    const day = days.get(row.day) || { day: row.day };
    day[row.churn_level] = row.customers;
    days.set(row.day, day);
  }
  return [...days.values()].slice(-TIMELINE_DAYS);
}

export const churn = {
  card: "churn-card",
  paths: () => ["/churn/timeline"],
  render([body]) {
    setCsv("churn-csv", "/churn");
    const days = byDay(body);
    byId("churn-note").textContent = days.length
      ? "Customers per churn level on each day churn was predicted."
      : "No churn predictions yet (the churn job runs nightly).";
    const latest = days[days.length - 1] || {};
    byId("churn-chart").dataset.latest = body.levels.map((l) => latest[l] || 0).join(",");
    drawChurnTimeline("churn-chart", days, body.levels);
  },
};
