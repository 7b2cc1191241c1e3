// wcpulse dashboard: signs in (dashboard-session.js), then polls every section every
// POLL_MS with ETags and redraws only what changed, in place. A rejected session stops the
// polling and shows the sign-in form again.
import { getJson, SignedOut, useShopApi } from "./dashboard-api.js";
import { churn, segments, values } from "./dashboard-customers.js";
import { byId, sectionError } from "./dashboard-dom.js";
import { useShop } from "./dashboard-format.js";
import { reachable, watchFreshness } from "./dashboard-freshness.js";
import { alerts, fulfilment } from "./dashboard-ops.js";
import { closePanel, panelSignedOut } from "./dashboard-panel.js";
import { watchPeriod } from "./dashboard-period.js";
import { live, revenue, topProducts } from "./dashboard-sales.js";
import { watchSearch } from "./dashboard-search.js";
import { currentShop, showSignIn, signOut } from "./dashboard-session.js";
import { tiles } from "./dashboard-tiles.js";

const POLL_MS = 5000;
const SECTIONS = [tiles, revenue, topProducts, live, segments, values, churn, alerts, fulfilment];
const shopId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
let state = null;
let generation = 0; // a new sign-in (or a sign-out) ends the previous polling loop
let wired = false;

function showError(section, message) {
  if (section.card === "tiles") {
    byId("banner").hidden = !message;
    byId("banner").textContent = message ? `Could not load the sales tiles: ${message}` : "";
  } else {
    sectionError(section.card, message);
  }
}

async function refreshSection(section, force) {
  try {
    const answers = await Promise.all(section.paths(state).map(getJson));
    if (force || answers.some((a) => a.changed)) section.render(answers.map((a) => a.body), state);
    showError(section, "");
    return true;
  } catch (error) {
    if (error instanceof SignedOut) throw error;
    if (error instanceof TypeError) return false; // the network: the server is not answering
    showError(section, error.message);
    return true;
  }
}

async function refresh(sections, force, mine) {
  try {
    const answered = await Promise.all(sections.map((s) => refreshSection(s, force)));
    if (mine === generation) reachable(answered.every(Boolean));
  } catch (error) {
    if (!(error instanceof SignedOut) || mine !== generation) return;
    generation += 1;
    showSignIn(shopId, `Please sign in again: ${error.message}.`, start);
  }
}

function schedule(mine) {
  setTimeout(async () => {
    if (mine !== generation) return;
    await refresh(SECTIONS, false, mine);
    schedule(mine);
  }, POLL_MS);
}

function wire() {
  wired = true;
  state = watchPeriod((next) => {
    state = next;
    refresh([revenue, topProducts, fulfilment], true, generation);
  });
  watchSearch();
  watchFreshness();
  byId("panel-close").addEventListener("click", closePanel);
  byId("panel-shade").addEventListener("click", closePanel);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });
  byId("sign-out").addEventListener("click", async () => {
    generation += 1;
    await signOut(shopId);
    showSignIn(shopId, "Signed out.", start);
  });
  panelSignedOut((error) => {
    generation += 1;
    showSignIn(shopId, `Please sign in again: ${error.message}.`, start);
  });
}

function start(card) {
  useShop(card);
  useShopApi(card.shop_id);
  document.title = `${card.name} · wcpulse`;
  byId("shop-name").textContent = card.name;
  byId("signin").hidden = true;
  byId("app").hidden = false;
  if (!wired) wire();
  generation += 1;
  const mine = generation;
  refresh(SECTIONS, true, mine).then(() => schedule(mine));
}

async function boot() {
  const card = await currentShop(shopId);
  if (card) start(card);
  else showSignIn(shopId, "", start);
}

boot();
