// The shop's read API over the session cookie: ETag polling (an unchanged answer costs a 304
// and is not drawn again) and the newest "data as of" any answer carried.
export class SignedOut extends Error {}

const cache = new Map();
let base = "";
let newestAsOf = null;
const asOfListeners = [];

export function useShopApi(shopId) {
  base = `/api/v1/shops/${encodeURIComponent(shopId)}`;
}

export function apiUrl(path) {
  return base + path;
}

export function csvUrl(path) {
  return apiUrl(path) + (path.includes("?") ? "&" : "?") + "format=csv";
}

export function onAsOf(listener) {
  asOfListeners.push(listener);
}

function noteAsOf(value) {
  if (!value || (newestAsOf && value <= newestAsOf)) return;
  newestAsOf = value;
  asOfListeners.forEach((listener) => listener(value));
}

async function failure(response) {
  let message = response.statusText;
  try { message = (await response.json()).error.message; } catch { /* not JSON */ }
  if (response.status === 401 || response.status === 403) throw new SignedOut(message);
  throw new Error(message || `HTTP ${response.status}`);
}

// { body, changed }: changed is false when the server answered 304 for the cached body.
export async function getJson(path) {
  const cached = cache.get(path);
  const headers = { Accept: "application/json" };
  if (cached) headers["If-None-Match"] = cached.etag;
  const response = await fetch(apiUrl(path), { headers, credentials: "same-origin" });
  noteAsOf(response.headers.get("X-Data-As-Of"));
  if (response.status === 304 && cached) return { body: cached.body, changed: false };
  if (!response.ok) await failure(response);
  const body = await response.json();
  noteAsOf(body.as_of_event);
  const etag = response.headers.get("ETag");
  if (etag) cache.set(path, { etag, body });
  return { body, changed: true };
}
