// Customer sections: RFM segments (a donut that opens a segment's customers), customers per
// value segment, and customers per churn level over time.
import {
  COLORS, drawBars, drawChurnTimeline, drawSegmentShares, drawSegments,
} from "./dashboard-charts.js";
import { byId, el, setCsv } from "./dashboard-dom.js";
import { fmtDay, fmtNumber, fmtPct } from "./dashboard-format.js";
import { openList } from "./dashboard-panel.js";

const VALUE_SEGMENTS = ["High", "Medium", "Low"];
const TIMELINE_DAYS = 30;
const HISTORY = "/segments/history?period=quarter_to_date"; // "Champions +15% this quarter"
const MOVERS = 3; // segments named in the movers line

export function openSegment(name) {
  openList(`${name}`, `/segments?name=${encodeURIComponent(name)}&sort=-net_spent`);
}

// The line and the chart under the donut (made here once: the page has no slot for them).
function historyNodes() {
  if (!byId("segments-movers")) {
    const line = el("p", null, "movers small");
    line.id = "segments-movers";
    const chart = el("div", null, "chart shares-chart");
    chart.id = "segments-shares";
    byId("segments-chart").after(line, chart);
  }
  return [byId("segments-movers"), byId("segments-shares")];
}

// "Champions +15.0% since 3 Jan": the segments whose share moved most, by percentage points.
function moversText(history) {
  const moved = history.changes.filter((c) => c.share_change_pp);
  if (!history.first_day) return "No rescoring this quarter yet.";
  if (history.first_day === history.last_day || !moved.length) {
    return `No segment's share has moved since ${fmtDay(history.first_day)}.`;
  }
  const top = moved.sort((a, b) => Math.abs(b.share_change_pp) - Math.abs(a.share_change_pp));
  const said = top.slice(0, MOVERS).map((c) => {
    const sign = c.share_change_pp > 0 ? "+" : "−";
    const size = c.share_change_pct === null // a segment empty on the first day
      ? `${fmtNumber(Math.abs(c.share_change_pp), 1)} pts` : fmtPct(Math.abs(c.share_change_pct));
    return `${c.segment} ${sign}${size}`;
  });
  return `${said.join(", ")} since ${fmtDay(history.first_day)}`;
}

function renderHistory(history) {
  const [line, chart] = historyNodes();
  line.textContent = moversText(history);
  chart.dataset.days = new Set(history.data.map((r) => r.day)).size;
  chart.hidden = !history.data.length;
  if (history.data.length) drawSegmentShares("segments-shares", history);
}

export const segments = {
  card: "segments-card",
  paths: () => ["/segments", HISTORY],
  render([body, history]) {
    renderHistory(history);
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
