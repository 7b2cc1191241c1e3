// Formatting for people: money in the shop's currency, numbers and dates in the shop's
// locale (`wcpulse shop set --locale`; without one, the browser's), times in the shop's
// timezone, and human names for the API's fields.
let LOCALE = navigator.language || "en";
let shop = { currency: "USD", timezone: "UTC" };
let money = null;

export function useShop(card) {
  shop = card;
  LOCALE = supported(card.locale) || navigator.language || "en";
  money = new Intl.NumberFormat(LOCALE, { style: "currency", currency: card.currency });
}

// The shop's locale when this browser knows it, else null (the browser's own then).
function supported(locale) {
  if (!locale) return null;
  try {
    return Intl.NumberFormat.supportedLocalesOf([locale]).length ? locale : null;
  } catch (error) {
    return null;
  }
}

export const dash = "–";

export function fmtMoney(value) {
  if (value === null || value === undefined || value === "") return dash;
  return money.format(Number(value));
}

export function fmtMoneyShort(value) {
  if (value === null || value === undefined) return dash;
  const opts = { style: "currency", currency: shop.currency, notation: "compact" };
  return new Intl.NumberFormat(LOCALE, opts).format(Number(value));
}

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined) return dash;
  const opts = { maximumFractionDigits: digits };
  return new Intl.NumberFormat(LOCALE, opts).format(Number(value));
}

export function fmtPct(value, digits = 1) {
  if (value === null || value === undefined) return dash;
  return `${fmtNumber(value, digits)} %`;
}

export function fmtShare(value) {
  return value === null || value === undefined ? dash : fmtPct(value * 100);
}

const when = () => new Intl.DateTimeFormat(LOCALE, {
  timeZone: shop.timezone, dateStyle: "medium", timeStyle: "short",
});
const clock = () => new Intl.DateTimeFormat(LOCALE, {
  timeZone: shop.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit",
});

export function fmtTime(iso) {
  return iso ? when().format(new Date(iso)) : dash;
}

export function fmtClock(iso) {
  return iso ? clock().format(new Date(iso)) : dash;
}

// A calendar day (YYYY-MM-DD) is already the shop's: format it without moving it.
export function fmtDay(day) {
  if (!day) return dash;
  const [y, m, d] = day.split("-").map(Number);
  const opts = { timeZone: "UTC", dateStyle: "medium" };
  return new Intl.DateTimeFormat(LOCALE, opts).format(new Date(Date.UTC(y, m - 1, d)));
}

export function fmtAgo(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

const LABELS = {
  number: "Order", status: "Status", created_at: "Placed", created_local: "Placed",
  email: "E-mail", name: "Customer", total: "Value", net: "Net", items: "Items",
  rank: "#", sku: "SKU", units: "Units", revenue: "Revenue", orders: "Orders",
  revenue_share: "Share of revenue", first_name: "First name", last_name: "Last name",
  net_spent: "Spent (net)", last_order_at: "Last order", segment: "Segment",
  rfm_score: "RFM", refunds: "Refunds", paid_at: "Paid", hours_since_paid: "Hours since paid",
  customers: "Customers", share: "Share", recommended_action: "What to do",
  changed_on: "Changed on", previous_segment: "Before",
};

export function label(field) {
  return LABELS[field] || field.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}
