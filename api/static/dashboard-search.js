// Customer search: matches by e-mail or name as one types; a match opens its 360.
import { getJson } from "./dashboard-api.js";
import { byId, clickable, el, sectionError, setCsv } from "./dashboard-dom.js";
import { fmtMoney, fmtNumber } from "./dashboard-format.js";
import { openCustomer } from "./dashboard-panel.js";

const WAIT_MS = 250;
let timer = null;
let asked = "";

function result(row) {
  const item = el("li", null, "result");
  item.dataset.customerKey = row.customer_key;
  const name = [row.first_name, row.last_name].filter(Boolean).join(" ");
  item.append(el("strong", name || row.email || "Guest"));
  item.append(el("span", row.email || "", "muted small"));
  item.append(el("span", `${fmtNumber(row.orders)} orders · ${fmtMoney(row.net_spent)} · ${row.segment || "not scored"}`, "small"));
  clickable(item, () => openCustomer(row.customer_key));
  return item;
}

async function search(query) {
  asked = query;
  const list = byId("search-results");
  if (!query) { list.replaceChildren(); return; }
  const path = `/customers?q=${encodeURIComponent(query)}&per_page=8&sort=-net_spent`;
  try {
    const { body } = await getJson(path);
    if (asked !== query) return; // a newer search is on its way
    setCsv("customers-csv", `/customers?q=${encodeURIComponent(query)}`);
    sectionError("search-card", "");
    list.replaceChildren(...(body.data.length ? body.data.map(result) : [el("li", "No customer matches.", "muted")]));
  } catch (error) {
    sectionError("search-card", error.message);
  }
}

export function watchSearch() {
  setCsv("customers-csv", "/customers");
  const input = byId("customer-search");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value.trim()), WAIT_MS);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { clearTimeout(timer); search(input.value.trim()); }
  });
}
