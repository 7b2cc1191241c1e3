// Operations sections: the open alerts and the fulfilment figures with the overdue orders.
import { byId, el, renderTable, setCsv, stat } from "./dashboard-dom.js";
import { fmtAgo, fmtMoney, fmtNumber, fmtShare, fmtTime } from "./dashboard-format.js";
import { periodQuery } from "./dashboard-period.js";
import { openCustomer } from "./dashboard-panel.js";

const ALERT_ROWS = 6;
const SEVERITY = { critical: "Critical", warning: "Warning", info: "Info" };

function alertItem(alert) {
  const item = el("li", null, `alert ${alert.severity}`);
  const head = el("div", null, "alert-head");
  head.append(el("span", SEVERITY[alert.severity] || alert.severity, `badge ${alert.severity}`));
  head.append(el("strong", alert.title));
  const seconds = (Date.now() - Date.parse(alert.created_at)) / 1000;
  const time = el("time", fmtAgo(seconds), "muted small");
  time.title = fmtTime(alert.created_at);
  head.append(time);
  item.append(head, el("p", alert.message, "alert-text"));
  const mail = mailLine(alert);
  if (mail) item.append(mail);
  if (alert.subject_kind === "customer" && alert.subject_id) {
    const link = el("button", `Open ${alert.subject_label || "customer"}`, "quiet small");
    link.type = "button";
    link.addEventListener("click", () => openCustomer(alert.subject_id));
    item.append(link);
  }
  return item;
}

// What became of the alert's e-mail (the send log): a failure is shown, never hidden.
const MAIL = {
  sent: "E-mailed",
  pending: "E-mail pending (retrying)",
  failed: "E-mail failed",
};

function mailLine(alert) {
  const text = MAIL[alert.mail_status];
  if (!text) return null;
  const error = alert.mail_status === "failed" && alert.mail_error ? `: ${alert.mail_error}` : "";
  return el("p", text + error, `alert-mail ${alert.mail_status} small`);
}

export const alerts = {
  card: "alerts-card",
  paths: () => [`/alerts?acknowledged=false&per_page=${ALERT_ROWS}`],
  render([body]) {
    setCsv("alerts-csv", "/alerts?acknowledged=false");
    const total = body.pagination.total;
    byId("alerts-count").textContent = total ? fmtNumber(total) : "";
    const items = body.data.map(alertItem);
    if (total > body.data.length) {
      items.push(el("li", `and ${fmtNumber(total - body.data.length)} more (CSV has them all)`, "muted small"));
    }
    byId("alerts").replaceChildren(...(items.length ? items : [el("li", "No open alerts. All quiet.", "muted")]));
  },
};

function hours(value) {
  return value === null || value === undefined ? "–" : `${fmtNumber(value, 1)} h`;
}

const OVERDUE_COLUMNS = [
  { label: "Order", format: (r) => `#${r.number}` },
  { label: "Customer", key: "email" },
  { label: "Paid", format: (r) => fmtTime(r.paid_at) },
  { label: "Waiting", format: (r) => hours(r.hours_since_paid), cls: "num" },
  { label: "Value", format: (r) => fmtMoney(r.total), cls: "num" },
];

export const fulfilment = {
  card: "fulfilment-card",
  paths: (state) => [`/fulfillment?${periodQuery(state)}&per_page=5`],
  render([body], state) {
    setCsv("fulfilment-csv", `/fulfillment?${periodQuery(state)}`);
    const m = body.metrics;
    byId("fulfilment").replaceChildren(
      stat("Paid orders", fmtNumber(m.paid_orders)),
      stat("Completed", fmtNumber(m.completed)),
      stat("Median to complete", hours(m.hours_to_complete_median)),
      stat("Done within 48 h", fmtShare(m.completed_within_48h_share)),
      stat("With tracking", fmtShare(m.tracking_share)),
      stat(`Over ${body.sla_hours} h now`, fmtNumber(m.overdue_now)),
    );
    const open = (row) => row.customer_key && openCustomer(row.customer_key);
    renderTable(byId("overdue"), OVERDUE_COLUMNS, body.overdue.data, open, "Nothing overdue");
  },
};
