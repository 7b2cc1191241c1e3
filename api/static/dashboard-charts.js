// Charts drawn with Plotly (served from the plotly Python package): updated in place with
// Plotly.react, sized to their box, no toolbar.
import { fmtDay, fmtMoney, fmtNumber } from "./dashboard-format.js";

const CONFIG = { displayModeBar: false, responsive: true };
const FONT = { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12, color: "#3b4252" };
export const COLORS = {
  accent: "#4f46e5", previous: "#a5adbb", grid: "#eef0f4",
  levels: { Low: "#34a853", Medium: "#f2b134", High: "#e8710a", Critical: "#d93025" },
  values: { High: "#4f46e5", Medium: "#8b86f0", Low: "#c9c6f7" },
};
const SEGMENT_COLORS = [
  "#1e8e3e", "#34a853", "#81c995", "#4f46e5", "#8b86f0", "#f2b134",
  "#e8710a", "#d93025", "#a50e0e", "#80868b", "#bdc1c6",
];

function layout(extra) {
  return {
    font: FONT, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    margin: { l: 48, r: 12, t: 8, b: 36 }, showlegend: false, ...extra,
  };
}

function draw(id, traces, extra) {
  if (typeof Plotly === "undefined") return; // the chart library did not load: text stays
  Plotly.react(id, traces, layout(extra), CONFIG);
}

export function drawRevenue(id, body) {
  const rows = body.data;
  const x = rows.map((r) => r.bucket_start);
  const traces = [{
    x, y: rows.map((r) => Number(r.net_revenue)), name: "Net revenue", type: "scatter",
    mode: "lines+markers", line: { color: COLORS.accent, width: 2.5 }, marker: { size: 4 },
    fill: "tozeroy", fillcolor: "rgba(79,70,229,0.08)",
    customdata: rows.map((r) => `${fmtDay(r.bucket_start)}: ${fmtMoney(r.net_revenue)}, ${fmtNumber(r.orders ?? r.transactions)} orders`),
    hovertemplate: "%{customdata}<extra></extra>",
  }];
  if (body.compare && body.compare !== "none") {
    traces.push({
      x, y: rows.map((r) => (r.previous_net_revenue === null ? null : Number(r.previous_net_revenue))),
      name: body.compare === "year" ? "Last year" : "Previous period", type: "scatter", mode: "lines",
      line: { color: COLORS.previous, width: 2, dash: "dot" },
      customdata: rows.map((r) => (r.previous_bucket_start ? `${fmtDay(r.previous_bucket_start)}: ${fmtMoney(r.previous_net_revenue)}` : "")),
      hovertemplate: "%{customdata}<extra></extra>",
    });
  }
  draw(id, traces, {
    showlegend: traces.length > 1, legend: { orientation: "h", y: 1.12, x: 0 },
    xaxis: { type: "date", gridcolor: COLORS.grid, tickformat: "%d %b" },
    yaxis: { gridcolor: COLORS.grid, rangemode: "tozero", tickformat: "~s" },
    hovermode: "x unified",
  });
}

export function drawSegments(id, rows, onPick) {
  const shown = rows.filter((r) => r.customers > 0);
  draw(id, [{
    type: "pie", hole: 0.55, sort: false, labels: shown.map((r) => r.segment),
    values: shown.map((r) => r.customers), textinfo: "percent", textposition: "inside",
    marker: { colors: shown.map((r) => SEGMENT_COLORS[rows.indexOf(r) % SEGMENT_COLORS.length]) },
    hovertemplate: "%{label}: %{value} customers<extra></extra>",
  }], { showlegend: true, legend: { font: { size: 11 } }, margin: { l: 4, r: 4, t: 4, b: 4 } });
  const node = document.getElementById(id);
  if (node.on && !node.dataset.wired) {
    node.on("plotly_click", (event) => onPick(event.points[0].label));
    node.dataset.wired = "1";
  }
}

export function drawBars(id, names, counts, colors) {
  draw(id, [{
    type: "bar", x: names, y: counts, marker: { color: names.map((n) => colors[n]) },
    text: counts.map((c) => fmtNumber(c)), textposition: "auto",
    hovertemplate: "%{x}: %{y} customers<extra></extra>",
  }], { yaxis: { gridcolor: COLORS.grid, rangemode: "tozero" }, bargap: 0.35 });
}

export function drawChurnTimeline(id, days, levels) {
  draw(id, levels.map((level) => ({
    type: "bar", name: level, x: days.map((d) => d.day), y: days.map((d) => d[level] || 0),
    marker: { color: COLORS.levels[level] },
    hovertemplate: `${level}: %{y}<extra></extra>`,
  })), {
    barmode: "stack", showlegend: true, legend: { orientation: "h", y: 1.15, x: 0 },
    xaxis: { type: "date", tickformat: "%d %b" }, yaxis: { gridcolor: COLORS.grid },
  });
}

// Each RFM segment's share of the scored customers on each rescoring day (segments/history).
export function drawSegmentShares(id, body) {
  const days = [...new Set(body.data.map((r) => r.day))];
  draw(id, body.segments.map((name, n) => ({
    type: "scatter", mode: "lines", stackgroup: "shares", name,
    x: days, y: days.map((d) => body.data.find((r) => r.day === d && r.segment === name).share * 100),
    line: { width: 0.5, color: SEGMENT_COLORS[n % SEGMENT_COLORS.length] },
    hovertemplate: `${name}: %{y:.1f}%<extra></extra>`,
  })), {
    xaxis: { type: "date", tickformat: "%d %b" },
    yaxis: { gridcolor: COLORS.grid, range: [0, 100], ticksuffix: "%" },
    margin: { l: 40, r: 8, t: 4, b: 28 },
  });
}
