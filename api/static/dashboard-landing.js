// The landing page: open the dashboard of the shop id typed in.
const form = document.getElementById("landing-form");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const shopId = document.getElementById("landing-shop").value.trim();
  if (shopId) location.assign(`/dashboard/${encodeURIComponent(shopId)}`);
});
