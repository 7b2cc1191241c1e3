// Sign-in and sign-out against /dashboard/<shop>/session: the token goes in a POST body and
// comes back as an HTTP-only cookie the page's scripts never see.
import { byId } from "./dashboard-dom.js";

const sessionUrl = (shopId) => `/dashboard/${encodeURIComponent(shopId)}/session`;

async function errorOf(response) {
  try { return (await response.json()).error.message; } catch { return response.statusText; }
}

// The shop's card ({shop_id, name, currency, timezone}) when signed in, else null.
export async function currentShop(shopId) {
  const response = await fetch(sessionUrl(shopId), { credentials: "same-origin" });
  const card = response.ok ? await response.json() : null;
  return card && card.signed_in ? card : null;
}

export function showSignIn(shopId, message, onSignedIn) {
  byId("app").hidden = true;
  byId("signin").hidden = false;
  byId("signin-shop").textContent = shopId;
  const error = byId("signin-error");
  error.hidden = !message;
  error.textContent = message || "";
  const form = byId("signin-form");
  const input = byId("signin-token");
  input.value = "";
  input.focus();
  form.onsubmit = async (event) => {
    event.preventDefault();
    byId("signin-button").disabled = true;
    const response = await fetch(sessionUrl(shopId), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: input.value.trim() }),
    });
    byId("signin-button").disabled = false;
    if (!response.ok) { showSignIn(shopId, `Not signed in: ${await errorOf(response)}.`, onSignedIn); return; }
    byId("signin").hidden = true;
    onSignedIn(await response.json());
  };
}

export async function signOut(shopId) {
  await fetch(sessionUrl(shopId), { method: "DELETE", credentials: "same-origin" });
}
