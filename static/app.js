// Leave empty fields out of HTMX requests, so pushed URLs stay short and shareable
// (`/assets?asset_type=drone`, not `/assets?q=&sort=&asset_type=drone`).
document.addEventListener("htmx:configRequest", (event) => {
  const data = event.detail.formData;
  for (const key of new Set(data.keys())) {
    if (data.getAll(key).every((value) => value === "")) data.delete(key);
  }
});

// htmx restores history from a snapshot of the markup, which keeps neither typed text nor
// ticked boxes the server did not render. The URL is the filter state: set the controls
// of the filter forms from it.
function syncFiltersWithUrl() {
  const params = new URLSearchParams(window.location.search);
  for (const input of document.querySelectorAll("form[hx-push-url] input[name]")) {
    if (input.type === "checkbox") {
      input.checked = params.getAll(input.name).includes(input.value);
    } else if (input.type === "search" || input.type === "text") {
      input.value = params.get(input.name) ?? "";
    }
  }
}
document.addEventListener("htmx:historyRestore", syncFiltersWithUrl);

// After a form swaps itself (a row's form) or its panel (the account pages) in place, put
// focus, and so the view, where a keyboard user needs it next: the summary of what needs
// attention at the top of the form, else the first field with an error, else the message
// saying what was done.
const SWAPPED_FORMS = ["panel", "row-form"];
document.addEventListener("htmx:afterSwap", (event) => {
  // A history restore swaps too, with no target. An outerHTML swap replaces the target:
  // find the new element by the id they share.
  const id = event.detail.target?.id;
  if (!SWAPPED_FORMS.includes(id)) return;
  const swapped = document.getElementById(id);
  const next = swapped?.querySelector(".problems")
    ?? swapped?.querySelector("[aria-invalid=true]")
    ?? swapped?.querySelector(".new-token, .notice");
  if (!next) return;
  if (!next.matches("input, select, textarea")) next.tabIndex = -1;
  next.focus();
  next.scrollIntoView({ block: "nearest" });
});

// On a page of the past, "Back to the present" leads to the view now shown, filters
// included: keep it in step when HTMX changes the URL without reloading the page.
function syncPresentLink() {
  const link = document.querySelector("a[data-present]");
  if (!link) return;
  const params = new URLSearchParams(window.location.search);
  params.delete("as_of");
  const query = params.toString();
  link.href = window.location.pathname + (query ? `?${query}` : "");
}
for (const name of ["htmx:pushedIntoHistory", "htmx:historyRestore"]) {
  document.addEventListener(name, syncPresentLink);
}

// A link to a quote (`/sources/1#q-12`) lands on where it starts in the source's text; the
// quote may run over several highlighted stretches, shared with overlapping quotes: mark
// every stretch of this one `current`. The browser scrolls to the id itself; scroll only
// if it has not (the target is outside the window).
function markCurrentQuote() {
  const id = /^#q-(\d+)$/.exec(window.location.hash)?.[1];
  for (const mark of document.querySelectorAll(".source-text mark")) {
    const quotes = (mark.dataset.quotes ?? "").split(/\s+/);
    mark.classList.toggle("current", id !== undefined && quotes.includes(id));
  }
  const target = id && document.getElementById(`q-${id}`);
  if (!target) return;
  const box = target.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) target.scrollIntoView({ block: "center" });
}
markCurrentQuote();
window.addEventListener("hashchange", markCurrentQuote);
document.addEventListener("htmx:historyRestore", markCurrentQuote);

// A button that folds a part of the page away on narrow screens (the nav, the filters):
// CSS hides `.collapsible` there until the button marks it open.
for (const button of document.querySelectorAll("button[data-collapses]")) {
  const target = document.getElementById(button.dataset.collapses);
  if (!target) continue;
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    target.classList.toggle("open", open);
  };
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  // Escape folds it again and gives focus back to its button, as a disclosure menu does.
  target.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
    if (getComputedStyle(button).display === "none") return;  // wide screen: never folded
    show(false);
    button.focus();
  });
}

// A long <select> (the countries) gets a search box: type a few letters of the name or the
// ISO code and pick from a list (the ARIA 1.2 combobox with a listbox popup). The <select>
// stays in the form and is what gets submitted, so without this script it works as before.
let comboboxCount = 0;
function enhanceSelect(select) {
  if (select.dataset.enhanced) return;
  select.dataset.enhanced = "true";
  const n = ++comboboxCount;
  const input = document.createElement("input");
  const list = document.createElement("ul");
  const label = document.querySelector(`label[for="${select.id}"]`);
  input.type = "text";
  input.id = `${select.id}-search`;
  input.className = "combobox-input";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", `combobox-${n}-list`);
  for (const name of ["aria-describedby", "aria-invalid", "aria-required", "required"]) {
    if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
  }
  input.placeholder = "Type a name or code";
  list.id = `combobox-${n}-list`;
  list.className = "combobox-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  if (label) {
    label.htmlFor = input.id;
    list.setAttribute("aria-label", label.textContent.replace("*", "").trim());
  }
  // The select is hidden from everyone (its label now names the search box) but still sent.
  select.hidden = true;
  select.removeAttribute("required");
  const wrap = document.createElement("div");
  wrap.className = "combobox";
  select.after(wrap);
  wrap.append(input, list);

  const options = [...select.options].map((option) => ({
    value: option.value, text: option.text,
    shown: option.value && option.text !== option.value ? `${option.text} (${option.value})` : option.text,
  }));
  const chosenText = () => select.selectedOptions[0]?.value ? select.selectedOptions[0].text : "";
  input.value = chosenText();
  let shown = [];
  let active = -1;

  function matches(query) {
    const q = query.trim().toLowerCase();
    if (!q) return options;
    const ranked = [];
    for (const option of options) {
      const text = option.text.toLowerCase();
      const code = option.value.toLowerCase();
      const rank = code === q ? 0 : text.startsWith(q) ? 1
        : text.split(/[\s,(-]+/).some((word) => word.startsWith(q)) ? 2
          : text.includes(q) ? 3 : -1;
      if (rank >= 0) ranked.push([rank, option]);
    }
    return ranked.sort((a, b) => a[0] - b[0]).map(([, option]) => option);
  }
  function render() {
    list.replaceChildren(...shown.slice(0, 50).map((option, i) => {
      const item = document.createElement("li");
      item.id = `${list.id}-${i}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(i === active));
      item.textContent = option.shown;
      item.addEventListener("mousedown", (event) => event.preventDefault());
      item.addEventListener("click", () => choose(option));
      return item;
    }));
    if (!shown.length) {
      const none = document.createElement("li");
      none.className = "combobox-none";
      none.textContent = "No match";
      list.append(none);
    }
    input.setAttribute("aria-activedescendant", active >= 0 ? `${list.id}-${active}` : "");
    if (active < 0) input.removeAttribute("aria-activedescendant");
    list.querySelector("[aria-selected=true]")?.scrollIntoView({ block: "nearest" });
  }
  function open() {
    shown = matches(input.value === chosenText() ? "" : input.value);
    active = shown.length && input.value !== chosenText() ? 0 : -1;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    render();
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function choose(option) {
    select.value = option.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = option.value ? option.text : "";
    close();
    document.getElementById("announce").textContent = option.value ? `${option.text} chosen` : "";
  }
  input.addEventListener("input", open);
  input.addEventListener("focus", () => input.select());
  input.addEventListener("click", open);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) { open(); return; }
      const last = Math.min(shown.length, 50) - 1;
      active = event.key === "ArrowDown" ? Math.min(active + 1, last) : Math.max(active - 1, 0);
      render();
    } else if (event.key === "Enter" && !list.hidden) {
      event.preventDefault();  // picking is not submitting
      if (active >= 0) choose(shown[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      input.value = chosenText();
      close();
    }
  });
  // Leaving the box: an exact name or code picks it, an empty box clears the choice where
  // that is allowed, anything else goes back to what is chosen.
  input.addEventListener("blur", () => {
    const q = input.value.trim().toLowerCase();
    const exact = options.find((o) => o.value && (o.text.toLowerCase() === q || o.value.toLowerCase() === q));
    const empty = options.find((o) => !o.value);
    if (exact) choose(exact);
    else if (!q && empty) choose(empty);
    else { input.value = chosenText(); close(); }
  });
}
function enhanceSelects(root) {
  for (const select of root.querySelectorAll("select[data-combobox]")) enhanceSelect(select);
}
enhanceSelects(document);
document.addEventListener("htmx:load", (event) => enhanceSelects(event.detail.elt));
