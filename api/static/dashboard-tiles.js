// The six sales tiles (sales/summary): net revenue with its change against the previous
// period, orders and average order value; the same six whatever period the picker shows.
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

function span(tile, prefix = "") {
  const from = tile[`${prefix}from`], to = tile[`${prefix}to`];
  return from === to ? fmtDay(from) : `${fmtDay(from)} – ${fmtDay(to)}`;
}

function tileCard(name, tile) {
  const card = el("article", null, "tile");
  card.dataset.tile = name;
  card.dataset.revenue = tile.revenue;
  card.dataset.orders = tile.orders;
  card.title = `${span(tile)} against ${span(tile, "previous_")}`;
  card.append(el("h3", NAMES[name] || name, "tile-name"));
  card.append(el("p", fmtMoney(tile.revenue), "tile-value"));
  card.append(change(tile.revenue_change_pct, fmtMoney(tile.previous_revenue)));
  const row = el("div", null, "tile-row");
  const orders = stat("Orders", fmtNumber(tile.orders), change(tile.orders_change_pct));
  const aov = stat("Avg. order", fmtMoney(tile.aov), change(tile.aov_change_pct));
  row.append(orders, aov);
  card.append(row);
  return card;
}

export const tiles = {
  card: "tiles",
  paths: () => ["/sales/summary"],
  render([summary]) {
    const box = document.getElementById("tiles");
    box.replaceChildren(...Object.entries(summary.tiles).map(([n, t]) => tileCard(n, t)));
  },
};
