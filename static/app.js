// Leave empty fields out of HTMX requests, so pushed URLs stay short and shareable
// (`/assets?asset_type=drone`, not `/assets?q=&sort=&asset_type=drone`).
document.addEventListener("htmx:configRequest", (event) => {
  const data = event.detail.formData;
  for (const key of new Set(data.keys())) {
    if (data.getAll(key).every((value) => value === "")) data.delete(key);
  }
});
