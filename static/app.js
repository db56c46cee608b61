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
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    target.classList.toggle("open", open);
  });
}
