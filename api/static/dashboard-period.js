// The date-range picker: a preset or custom days, and what to compare with. It drives the
// revenue chart and the period endpoints (top products, fulfilment).
import { byId } from "./dashboard-dom.js";

const DAY_MS = 86400000;

export function readPeriod() {
  const period = byId("period").value;
  const compare = byId("compare").value;
  if (period !== "custom") return { period, compare };
  const from = byId("range-from").value, to = byId("range-to").value;
  if (!from || !to || from > to) return null; // not complete yet: keep the last period
  return { period, from, to, compare };
}

// The query of a period endpoint: period=...(&from=&to=).
export function periodQuery(state) {
  const query = new URLSearchParams({ period: state.period });
  if (state.period === "custom") { query.set("from", state.from); query.set("to", state.to); }
  return query.toString();
}

// Days by day up to three months, weeks up to a year and a half, months beyond.
export function interval(state) {
  if (state.period !== "custom") return "day";
  const days = (Date.parse(state.to) - Date.parse(state.from)) / DAY_MS + 1;
  return days <= 92 ? "day" : days <= 550 ? "week" : "month";
}

export function watchPeriod(onChange) {
  const custom = byId("custom-range");
  const changed = () => {
    custom.hidden = byId("period").value !== "custom";
    const state = readPeriod();
    if (state) onChange(state);
  };
  ["period", "compare", "range-from", "range-to"].forEach((id) =>
    byId(id).addEventListener("change", changed));
  return readPeriod();
}
