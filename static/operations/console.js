// The operations console asks the workers after the page has loaded: a ping waits for every
// answer up to OPERATIONS_WORKER_PING_TIMEOUT, which the figures need not wait for. Without
// this script (or if the request fails), the card's link asks on the page itself.
document.addEventListener("DOMContentLoaded", () => {
  const card = document.querySelector("#ops-workers[data-ask]");
  if (!card) return;
  fetch(card.dataset.ask, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      card.outerHTML = html;
    })
    .catch(() => {});
});
