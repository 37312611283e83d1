// Time per page on a buyer's page: a page counts while it is the one most on screen and the
// tab is visible. Seconds are sent in small batches every 5 s, and on hiding or leaving the
// page, with navigator.sendBeacon (text/plain, so no preflight; the visit key proves origin).
(() => {
  "use strict";
  const room = document.getElementById("room");
  if (!room || !("IntersectionObserver" in window)) return;
  const url = room.dataset.beacon;
  const visit = Number(room.dataset.visit);
  const key = room.dataset.key;
  const ratios = new Map();
  const pending = new Map();
  let last = performance.now();

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) ratios.set(entry.target, entry.intersectionRatio);
  }, { threshold: [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1] });
  document.querySelectorAll("figure.page").forEach((page) => observer.observe(page));

  function current() {
    let best = null;
    let bestShare = 0;
    for (const [page, ratio] of ratios) {
      if (ratio <= 0) continue;
      const box = page.getBoundingClientRect();
      const shown = Math.max(0, Math.min(box.bottom, innerHeight) - Math.max(box.top, 0));
      if (shown > bestShare) { bestShare = shown; best = page; }
    }
    return best;
  }

  function tick() {
    const now = performance.now();
    const seconds = Math.min((now - last) / 1000, 2);
    last = now;
    if (document.visibilityState !== "visible") return;
    const page = current();
    if (!page) return;
    const id = page.dataset.asset + ":" + page.dataset.page;
    pending.set(id, (pending.get(id) || 0) + seconds);
  }

  function flush() {
    tick();
    if (!pending.size) return;
    const pages = [];
    for (const [id, seconds] of pending) {
      const [asset, page] = id.split(":").map(Number);
      pages.push({ asset, page, seconds: Math.round(seconds * 1000) / 1000 });
    }
    pending.clear();
    const body = JSON.stringify({ visit, key, pages });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: "POST", body, keepalive: true, credentials: "same-origin",
                   headers: { "Content-Type": "text/plain" } }).catch(() => {});
    }
  }

  setInterval(tick, 1000);
  setInterval(flush, 5000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush(); else last = performance.now();
  });
  addEventListener("pagehide", flush);
})();
