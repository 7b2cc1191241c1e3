// "Updated N s ago": the age of the newest event the figures include (X-Data-As-Of), ticking
// every second. It turns amber after 5 minutes and red after an hour without a newer event,
// and red at once when the server stops answering, so a stopped pipeline shows.
import { onAsOf } from "./dashboard-api.js";
import { byId } from "./dashboard-dom.js";
import { fmtAgo, fmtTime } from "./dashboard-format.js";

const AGING_S = 300;
const STALE_S = 3600;
let asOf = null;
let unreachable = false;

function paint() {
  const box = byId("freshness");
  box.classList.remove("fresh", "aging", "stale");
  if (unreachable) {
    box.textContent = "server not answering";
    box.classList.add("stale");
    return;
  }
  if (!asOf) { box.textContent = "no data yet"; return; }
  const age = (Date.now() - Date.parse(asOf)) / 1000;
  box.textContent = `updated ${fmtAgo(age)}`;
  box.dataset.asOf = asOf;
  box.title = `Includes events up to ${fmtTime(asOf)}`;
  box.classList.add(age < AGING_S ? "fresh" : age < STALE_S ? "aging" : "stale");
}

export function reachable(ok) {
  unreachable = !ok;
  paint();
}

export function watchFreshness() {
  onAsOf((value) => { asOf = value; paint(); });
  setInterval(paint, 1000);
  paint();
}
