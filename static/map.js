// The map of sites: vendored Leaflet drawing local boundaries (no tile server) and one
// marker per site from the GeoJSON named by #map-data. The page is complete without this
// script: every site is in the tables beside the map.
(() => {
  const UKRAINE = [[44.2, 22.0], [52.5, 40.3]];
  let boundaries = null;  // fetched once per page
  let state = null;  // {map, markers: Map(id -> marker), layer, src}

  function loadBoundaries() {
    boundaries ??= Promise.all([
      fetch("/static/vendor/world-atlas/europe-50m.json").then((r) => r.json()),
      fetch("/static/vendor/ukraine-oblasts/ukr.topo.json").then((r) => r.json()),
    ]);
    return boundaries;
  }

  function shapeFor(kind) {
    // The legend holds one shape per site kind: markers copy it, so both always agree.
    const item = document.querySelector(`.map-key [data-kind="${kind}"] svg`)
      ?? document.querySelector(".map-key [data-kind] svg");
    return item ? item.outerHTML : "";
  }

  function markerSize(p) {
    const troops = p.troops_high ?? p.troops_low ?? 0;
    return Math.round(18 + Math.min(18, Math.sqrt(troops) / 12 + 4 * p.assets.length));
  }

  function icon(p) {
    const size = markerSize(p);
    const figure = p.troops_low || p.troops_high ? p.troops : "";
    const badge = figure ? `<span class="marker-badge" aria-hidden="true">${figure}</span>` : "";
    return L.divIcon({
      className: `marker kind-${p.kind}${p.candidate ? " candidate" : ""}`,
      html: shapeFor(p.kind) + badge,
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
      popupAnchor: [0, -size / 2],
    });
  }

  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function linkList(title, items, label) {
    const box = el("div");
    box.append(el("p", title, { class: "popup-h" }));
    if (!items.length) {
      box.append(el("p", "None reported.", { class: "muted" }));
      return box;
    }
    const ul = el("ul");
    for (const item of items) {
      const li = el("li");
      li.append(el("a", label(item), { href: item.url }));
      ul.append(li);
    }
    box.append(ul);
    return box;
  }

  function popup(p) {
    const box = el("div", "", { class: "popup" });
    const h = el("p", "", { class: "popup-title" });
    h.append(el("a", p.name, { href: p.url }));
    box.append(h);
    const where = p.country_name ?? "country not named";
    box.append(el("p", `${p.kind_label} · ${where} · ${p.basis_label}`, { class: "muted" }));
    box.append(el("p", `Troops: ${p.troops}`));
    box.append(linkList("Deployments", p.deployments, (d) => `${d.role} (${d.troops})`));
    box.append(linkList("Assets", p.assets, (a) => `${a.label} (${a.quantity}, ${a.posture})`));
    box.append(linkList("Sources", p.sources, (s) => `${s.outlet}, ${s.published}: ${s.title}`));
    return box;
  }

  function draw(data) {
    const { map } = state;
    state.layer?.remove();
    state.markers = new Map();
    state.layer = L.layerGroup().addTo(map);
    const placed = [];
    for (const f of data.features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const label = `${p.name}: ${p.kind_label}${p.candidate ? ", candidate site" : ""}`;
      const marker = L.marker([lat, lon], { icon: icon(p), title: label, alt: label, riseOnHover: true })
        .bindPopup(popup(p), { maxWidth: 280 })
        .addTo(state.layer);
      marker.getElement()?.setAttribute("aria-label", label);
      marker.on("popupopen", () => document.getElementById(`site-${f.id}`)?.classList.add("selected"));
      marker.on("popupclose", () => document.getElementById(`site-${f.id}`)?.classList.remove("selected"));
      state.markers.set(String(f.id), marker);
      placed.push([lat, lon]);
    }
    state.bounds = placed.length ? L.latLngBounds(placed).pad(0.4) : L.latLngBounds(UKRAINE);
    fit();
    announce(`Map shows ${placed.length} site${placed.length === 1 ? "" : "s"}.`);
    showFromHash();
  }

  function fit() {
    if (!state?.bounds) return;
    state.map.invalidateSize({ animate: false });
    state.map.fitBounds(state.bounds, { maxZoom: 7, animate: false });
  }

  function announce(text) {
    const region = document.getElementById("announce");
    if (region && document.getElementById("map")?.dataset.ready) region.textContent = text;
  }

  function showSite(id) {
    const marker = state?.markers.get(String(id));
    if (!marker) return false;
    state.map.setView(marker.getLatLng(), Math.max(state.map.getZoom(), 6));
    marker.openPopup();
    return true;
  }

  function showFromHash() {
    const match = /^#site-(\d+)$/.exec(window.location.hash);
    if (match && showSite(match[1])) {
      document.getElementById("map").scrollIntoView({ block: "nearest" });
    }
  }

  function boundaryLayers(map, [europe, regions]) {
    const countries = topojson.feature(europe, europe.objects.countries);
    L.geoJSON(countries, {
      interactive: false,
      style: (f) => (f.properties.a3 === "UKR"
        ? { className: "land ukraine", weight: 1.2 }
        : { className: "land", weight: 0.8 }),
    }).addTo(map);
    const oblasts = topojson.mesh(regions, regions.objects.ukr, (a, b) => a !== b);
    L.geoJSON(oblasts, { interactive: false, style: { className: "oblast", weight: 0.6 } }).addTo(map);
  }

  function refresh() {
    const container = document.getElementById("map");
    const source = document.getElementById("map-data");
    if (!container || !source || typeof L === "undefined") return;
    if (!state || state.map.getContainer() !== container) {
      container.replaceChildren();
      const map = L.map(container, {
        zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: false,
      });
      map.fitBounds(UKRAINE);
      state = { map, markers: new Map(), layer: null, src: null, bounds: null };
      loadBoundaries().then((data) => boundaryLayers(map, data));
    }
    const src = source.dataset.src;
    if (src === state.src) return;
    state.src = src;
    fetch(src, { headers: { Accept: "application/geo+json" } })
      .then((r) => r.json())
      .then((data) => {
        if (state.src !== src) return;  // a newer filter won the race
        draw(data);
        container.dataset.ready = "true";
        container.dataset.markers = String(state.markers.size);
      });
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  window.addEventListener("hashchange", showFromHash);
  // Print layouts give the map another size (the brief puts it beside its table): refit.
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
  window.matchMedia("print").addEventListener("change", fit);
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-show-site]");
    if (link && showSite(link.dataset.showSite)) {
      event.preventDefault();
      history.replaceState(null, "", `#site-${link.dataset.showSite}`);
      document.getElementById("map").scrollIntoView({ block: "nearest" });
    }
  });
})();
