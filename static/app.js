// Filters and sort apply as soon as they change; the Search button still works without script.
// Everything below enhances forms that work without script: the server decides everything.
const csrfToken = () => document.querySelector("meta[name=csrf-token]")?.content || "";

async function sendJson(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `The server said ${response.status}.`;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

// The star: a form POST without script; with it, PUT or DELETE on the API and no reload.
function enhanceStars() {
  document.querySelectorAll("button.star").forEach((button) => {
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const on = button.getAttribute("aria-pressed") === "true";
      try {
        await sendJson(on ? "DELETE" : "PUT", `/api/v1/assets/${button.dataset.asset}/favourite`);
      } catch (error) { window.alert(error.message); return; }
      button.setAttribute("aria-pressed", on ? "false" : "true");
      button.textContent = on ? "☆" : "★";
      button.title = on ? "Add to favourites" : "Remove from favourites";
      const form = document.getElementById(`star-${button.dataset.asset}`);
      if (form) form.querySelector("input[name=starred]").value = on ? "1" : "0";
    });
  });
  // The new collection's title matters only when "New collection…" is chosen.
  document.querySelectorAll(".add-to-collection").forEach((box) => {
    const select = box.querySelector("select");
    const title = box.querySelector("input[name=title]");
    const sync = () => { title.hidden = select.value !== "new"; };
    select.addEventListener("change", sync);
    sync();
  });
}

// A collection's order: drag an item, or use its Move up / Move down buttons (keyboard);
// each change is saved with PATCH and announced to screen readers.
function enhanceKit() {
  const article = document.getElementById("collection");
  const list = document.getElementById("kit");
  if (!article || !list || article.dataset.editable !== "true") return;
  const status = document.getElementById("reorder-status");
  const items = () => [...list.querySelectorAll("li.kit-item")];
  const save = async (moved) => {
    const ids = items().map((li) => Number(li.dataset.asset));
    try {
      await sendJson("PATCH", `/api/v1/collections/${article.dataset.collection}`, { assets: ids });
    } catch (error) { status.textContent = `Not saved: ${error.message}`; return; }
    const position = items().indexOf(moved) + 1;
    status.textContent = `Moved “${moved.dataset.title}” to position ${position} of ${ids.length}.`;
  };
  list.querySelectorAll("button.move").forEach((button) => {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const item = button.closest("li.kit-item");
      const up = button.dataset.direction === "up";
      const sibling = up ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling || !sibling.classList.contains("kit-item")) {
        status.textContent = `“${item.dataset.title}” is already ${up ? "first" : "last"}.`;
        return;
      }
      list.insertBefore(item, up ? sibling : sibling.nextElementSibling);
      button.focus();
      save(item);
    });
  });
  // Alt+ArrowUp / Alt+ArrowDown on a focused item moves it, as the buttons do.
  items().forEach((item) => {
    item.addEventListener("keydown", (event) => {
      if (!event.altKey || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
      event.preventDefault();
      const direction = event.key === "ArrowUp" ? "up" : "down";
      item.querySelector(`button.move[data-direction=${direction}]`).click();
      item.focus();
    });
  });
  let dragged = null;
  items().forEach((item) => {
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.asset);
    });
    item.addEventListener("dragend", () => { item.classList.remove("dragging"); dragged = null; });
    item.addEventListener("dragover", (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      const box = item.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextElementSibling : item);
    });
    item.addEventListener("drop", (event) => { event.preventDefault(); if (dragged) save(dragged); });
  });
}

// Suggestions under the search box: the ARIA combobox pattern (arrow keys, Enter, Escape),
// one request per pause in typing, never one per keystroke.
function enhanceSuggest() {
  const input = document.getElementById("search-q");
  if (!input || !input.dataset.suggest) return;
  const list = document.createElement("ul");
  list.id = "search-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  input.parentElement.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  let active = -1;
  let timer = null;
  let asked = "";
  const options = () => [...list.querySelectorAll("[role=option]")];
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    const all = options();
    all.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", all[index].id);
    else input.removeAttribute("aria-activedescendant");
  };
  const choose = (option) => {
    if (option.dataset.asset) {
      window.location.href = `/assets/${option.dataset.asset}`;
      return;
    }
    input.value = option.dataset.text;
    close();
    input.form.submit();
  };
  const show = (suggestions) => {
    list.replaceChildren();
    suggestions.forEach((s, i) => {
      const option = document.createElement("li");
      option.id = `suggestion-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.text = s.text;
      if (s.asset !== null) option.dataset.asset = s.asset;
      const kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = s.kind;
      option.append(document.createTextNode(s.text), kind);
      option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(option); });
      list.appendChild(option);
    });
    list.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
    active = -1;
  };
  const ask = async () => {
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    if (q === asked) return;
    asked = q;
    try {
      const response = await fetch(`${input.dataset.suggest}?q=${encodeURIComponent(q)}`, {
        credentials: "same-origin",
      });
      if (!response.ok || input.value.trim() !== q) return;
      show((await response.json()).suggestions);
    } catch (error) { close(); }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  input.addEventListener("keydown", (event) => {
    const all = options();
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight((active + 1) % all.length);
    } else if (event.key === "ArrowUp" && all.length && !list.hidden) {
      event.preventDefault();
      highlight(active <= 0 ? all.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      choose(all[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

// Phone: a button folds a region (the header's menu, the search filters) on narrow screens;
// the stylesheet decides at which widths a folded region is hidden. Without script the buttons
// stay hidden and the regions stay in view. Escape closes an open fold and gives focus back.
const folds = new Map();  // region id -> function(open)

function enhanceFolds() {
  document.querySelectorAll("button.fold-toggle[aria-controls]").forEach((button) => {
    const region = document.getElementById(button.getAttribute("aria-controls"));
    if (!region) return;
    const set = (open) => {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      region.classList.toggle("folded", !open);
    };
    folds.set(region.id, set);
    set(false);
    button.hidden = false;
    button.closest(".topbar")?.classList.add("menu-ready");
    button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
      if (button.offsetParent === null) return;  // a wide screen: nothing is folded
      const inside = region.contains(document.activeElement) || document.activeElement === button;
      if (!inside) return;
      set(false);
      button.focus();
    });
  });
}

// A facet or the sort order reloads the page; the control keeps focus on the new page, at the
// same height on the screen, so the keyboard and the eye stay where they were.
const RESTORE_KEY = "collateral.focus-after-reload";

function rememberControl(control) {
  const saved = {
    id: control.id,
    facet: control.closest("[data-facet]")?.dataset.facet || null,
    top: control.getBoundingClientRect().top,
    path: window.location.pathname,
  };
  try { sessionStorage.setItem(RESTORE_KEY, JSON.stringify(saved)); } catch (e) { /* private mode */ }
}

function restoreControl() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RESTORE_KEY));
    sessionStorage.removeItem(RESTORE_KEY);
  } catch (e) { return; }
  if (!saved || saved.path !== window.location.pathname) return;
  // After a chip: the next chip, or the results when none is left. After a control: the same
  // control; else, if that value is gone from the list, the first of its facet.
  const control = saved.chip
    ? document.querySelector(".filter-chip") || document.getElementById("results")
    : document.getElementById(saved.id)
      || document.querySelector(`[data-facet="${saved.facet}"] input`);
  if (!control) return;
  const fold = control.closest(".folds.folded");  // folded and, on a narrow screen, hidden
  if (fold && folds.has(fold.id) && getComputedStyle(fold).display === "none") {
    folds.get(fold.id)(true);
  }
  control.focus({ preventScroll: true });
  if (!saved.chip && typeof saved.top === "number") {
    window.scrollBy(0, control.getBoundingClientRect().top - saved.top);
  }
}

// A box that scrolls on its own (a wide table, a long page of text) is, while it scrolls, a named
// focusable region, so the keyboard can scroll it too; when it fits it is no extra Tab stop.
function watchScrollBox(box, name) {
  const sync = () => {
    const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name);
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };
  new ResizeObserver(sync).observe(box);
}

function tableName(table) {
  if (table.caption) return table.caption.textContent.trim();
  if (table.getAttribute("aria-label")) return table.getAttribute("aria-label");
  for (let node = table.parentElement; node && node.tagName !== "MAIN"; node = node.parentElement) {
    for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
      if (/^H[1-6]$/.test(before.tagName)) return before.textContent.trim();
      const inner = before.querySelector?.("h1, h2, h3, h4, h5, h6");
      if (inner) return inner.textContent.trim();
    }
    const own = node.querySelector(":scope > h1, :scope > h2, :scope > h3");
    if (own && own.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) {
      return own.textContent.trim();
    }
  }
  return "Table";
}

// A wide table scrolls inside its own box, not the page.
function enhanceScrollBoxes() {
  if (!("ResizeObserver" in window)) return;
  document.querySelectorAll("main table").forEach((table) => {
    let box = table.parentElement;
    if (!box.classList.contains("table-scroll")) {
      box = document.createElement("div");
      box.className = "table-scroll";
      table.before(box);
      box.appendChild(table);
    }
    watchScrollBox(box, `${tableName(table)} (scrolls sideways)`);
  });
  document.querySelectorAll(".page-text pre").forEach((pre) => {
    const heading = pre.closest(".page-text").querySelector("h3");
    watchScrollBox(pre, `Text of ${heading ? heading.textContent.trim().toLowerCase() : "the page"}`);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("search-form");
  if (form) {
    form.querySelectorAll(".autosubmit").forEach((input) => {
      input.addEventListener("change", () => {
        const page = form.querySelector("input[name=page]");
        if (page) page.remove();
        if (input.id) rememberControl(input);
        form.submit();
      });
    });
  }
  document.querySelectorAll(".filter-chip").forEach((chip) => {
    chip.addEventListener("click", () => {
      const saved = { chip: true, path: window.location.pathname };
      try { sessionStorage.setItem(RESTORE_KEY, JSON.stringify(saved)); } catch (e) { /* private */ }
    });
  });
  enhanceFolds();
  restoreControl();
  enhanceScrollBoxes();
  enhanceStars();
  enhanceKit();
  enhanceSuggest();
});
