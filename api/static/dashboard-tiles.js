// The six sales tiles (sales/summary): net revenue with its change against the previous
// period, orders and average order value, and a sparkline of daily net revenue; the same six
// whatever period the picker shows. One timeseries request (the last 30 whole days) plus
// today's tile feed every sparkline: a tile's line is its period's days among those, at
// least the last SPARK_MIN days up to its last day.
import { el, stat } from "./dashboard-dom.js";
import { fmtDay, fmtMoney, fmtNumber, fmtPct } from "./dashboard-format.js";

const NAMES = {
  today: "Today so far", yesterday: "Yesterday", last_7_days: "Last 7 days",
  last_30_days: "Last 30 days", quarter_to_date: "Quarter to date", year_to_date: "Year to date",
};

export function change(pct, previousText) {
  const box = el("span", null, "change");
  if (pct === null || pct === undefined) {
    box.classList.add("flat");
    box.textContent = previousText ? `new · was ${previousText}` : "no earlier figure";
    return box;
  }
  const arrow = pct > 0 ? "▲" : pct < 0 ? "▼" : "■";
  box.classList.add(pct > 0 ? "up" : pct < 0 ? "down" : "flat");
  box.textContent = `${arrow} ${fmtPct(Math.abs(pct))}`;
  if (previousText) box.append(el("span", ` vs ${previousText}`, "was"));
  return box;
}

const SVG = "http://www.w3.org/2000/svg";
const SPARK = { width: 120, height: 28, pad: 2 };
const SPARK_MIN = 7;
const SERIES = "/timeseries?period=last_30_days&interval=day";

// Daily net revenue by day (YYYY-MM-DD): the 30 days before today, then today so far.
function dailyRevenue(series, summary) {
  const days = series.data.map((r) => [r.bucket_start, Number(r.net_revenue)]);
  const today = summary.tiles.today;
  if (today) days.push([today.from, Number(today.revenue)]);
  return days;
}

function sparkDays(days, tile) {
  const upto = days.filter(([day]) => day <= tile.to);
  const inside = upto.filter(([day]) => day >= tile.from);
  return inside.length >= SPARK_MIN ? inside : upto.slice(-SPARK_MIN);
}

export function sparkline(points) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("viewBox", `0 0 ${SPARK.width} ${SPARK.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  svg.dataset.points = points.length;
  if (points.length < 2) return svg;
  const values = points.map(([, value]) => value);
  const low = Math.min(...values), high = Math.max(...values);
  const step = (SPARK.width - 2 * SPARK.pad) / (points.length - 1);
  const y = (v) => SPARK.height - SPARK.pad
    - (high === low ? 0.5 : (v - low) / (high - low)) * (SPARK.height - 2 * SPARK.pad);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", values.map((v, n) => `${(SPARK.pad + n * step).toFixed(1)},${y(v).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}

function span(tile, prefix = "") {
  const from = tile[`${prefix}from`], to = tile[`${prefix}to`];
  return from === to ? fmtDay(from) : `${fmtDay(from)} – ${fmtDay(to)}`;
}

function tileCard(name, tile, days) {
  const card = el("article", null, "tile");
  card.dataset.tile = name;
  card.dataset.revenue = tile.revenue;
  card.dataset.orders = tile.orders;
  card.title = `${span(tile)} against ${span(tile, "previous_")}`;
  card.append(el("h3", NAMES[name] || name, "tile-name"));
  card.append(el("p", fmtMoney(tile.revenue), "tile-value"));
  card.append(change(tile.revenue_change_pct, fmtMoney(tile.previous_revenue)));
  card.append(sparkline(sparkDays(days, tile)));
  const row = el("div", null, "tile-row");
  const orders = stat("Orders", fmtNumber(tile.orders), change(tile.orders_change_pct));
  const aov = stat("Avg. order", fmtMoney(tile.aov), change(tile.aov_change_pct));
  row.append(orders, aov);
  card.append(row);
  return card;
}

export const tiles = {
  card: "tiles",
  paths: () => ["/sales/summary", SERIES],
  render([summary, series]) {
    const days = dailyRevenue(series, summary);
    const box = document.getElementById("tiles");
    box.replaceChildren(...Object.entries(summary.tiles).map(([n, t]) => tileCard(n, t, days)));
  },
};
