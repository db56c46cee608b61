// The map of sites: vendored Leaflet drawing local boundaries (no tile server), one marker
// per site located at a point (clustered where they would hide each other), the country or
// region shape of each site known only that far, and a note at the map's edge for a region
// without borders. Details of the chosen site open in the side panel on wide screens, in a
// popup on narrow ones. The page is complete without this script: every site is in the
// tables beside the map.
(() => {
  const placeNames = window.PeaceplanPlaceNames;  // static/map-names.js
  const UKRAINE = [[44.2, 22.0], [52.5, 40.3]];
  const WIDE = window.matchMedia("(min-width: 900px)");
  let boundaries = null;  // fetched once per page
  let state = null;  // {map, markers: Map(id -> layer), layer, src, bounds, topo, places}

  function loadBoundaries() {
    boundaries ??= Promise.all([
      fetch("/static/vendor/world-atlas/europe-50m.json").then((r) => r.json()),
      fetch("/static/vendor/ukraine-oblasts/ukr.topo.json").then((r) => r.json()),
      fetch("/static/vendor/places/places.json").then((r) => r.json()),
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

  function clusterIcon(cluster) {
    // A cluster is a button like a marker: its name says which sites it holds, so a
    // keyboard or screen reader user knows what pressing it (zooming in) will reveal.
    const names = cluster.getAllChildMarkers().map((m) => m.options.title.split(":")[0]);
    const n = names.length;
    const count = el("span", String(n));
    count.append(el("span", ` sites: ${names.join(", ")}. Zoom in to choose one.`, { class: "visually-hidden" }));
    const box = el("div");
    box.append(count);
    return L.divIcon({
      html: box,
      className: `marker-cluster marker-cluster-${n < 10 ? "small" : n < 100 ? "medium" : "large"}`,
      iconSize: L.point(40, 40),
    });
  }

  function pressable(marker, open) {
    // Markers are buttons (Leaflet gives them the role and a tab stop), but Leaflet's Enter
    // opens only a popup bound to the marker; these open the site's details instead.
    marker.on("click", open);
    marker.on("keydown", (event) => {
      if (event.originalEvent.key !== "Enter" && event.originalEvent.key !== " ") return;
      event.originalEvent.preventDefault();
      open();
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
    box.append(el("p", `Location known to: ${p.precision_label.toLowerCase()} (${p.where})`));
    box.append(el("p", `Troops: ${p.troops}`));
    box.append(linkList("Deployments", p.deployments, (d) => `${d.role} (${d.troops})`));
    box.append(linkList("Assets", p.assets, (a) => `${a.label} (${a.quantity}, ${a.posture})`));
    box.append(linkList("Sources", p.sources, (s) => `${s.outlet}, ${s.published}: ${s.title}`));
    return box;
  }

  function details(features) {
    const box = el("div");
    for (const f of features) box.append(popup(f.properties));
    return box;
  }

  function choose(features, latlng, id) {
    // Wide screens show the details beside the map, where they hide none of it.
    document.querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
    for (const f of features) document.getElementById(`site-${f.id}`)?.classList.add("selected");
    const panel = document.getElementById("map-panel");
    if (panel && WIDE.matches && panel.offsetParent !== null) {
      state.map.closePopup();
      const body = panel.querySelector(".map-panel-body");
      body.replaceChildren(details(features));
      panel.dataset.site = id;
      return;
    }
    // A narrow map holds the popup below the zoom buttons and the note, so none covers another.
    const container = state.map.getContainer();
    const frame = container.getBoundingClientRect();
    const below = Math.max(0, ...[...container.querySelectorAll(".leaflet-top .leaflet-control")]
      .map((c) => c.getBoundingClientRect().bottom - frame.top));
    const width = container.clientWidth;
    L.popup({
      maxWidth: Math.min(280, width - 70),
      minWidth: Math.min(160, width - 70),
      maxHeight: Math.max(120, container.clientHeight - below - 70),
      autoPanPaddingTopLeft: [10, below + 8],
      autoPanPaddingBottomRight: [10, 10],
    }).setLatLng(latlng).setContent(details(features)).openOn(state.map);
  }

  function areaKey(a) {
    return `${a.level}:${a.code ?? ""}:${a.name}`;
  }

  function shapeOf(area) {
    const [europe, regions] = state.topo;
    if (area.level === "country") {
      return topojson.feature(europe, {
        type: "GeometryCollection",
        geometries: europe.objects.countries.geometries.filter((g) => g.properties.a3 === area.shape),
      });
    }
    return topojson.feature(regions, {
      type: "GeometryCollection",
      geometries: regions.objects.ukr.geometries.filter((g) => g.properties.name === area.shape),
    });
  }

  function groups(features) {
    const out = new Map();
    for (const f of features) {
      const area = f.properties.area;
      if (!area) continue;
      const key = areaKey(area);
      if (!out.has(key)) out.set(key, { area, features: [] });
      out.get(key).features.push(f);
    }
    return [...out.values()];
  }

  function sitesText(features) {
    return `${features.length} site${features.length === 1 ? "" : "s"}`;
  }

  function drawArea({ area, features }, layer) {
    const shape = L.geoJSON(shapeOf(area), {
      style: { className: `area area-${area.level}`, weight: 1.5 },
    }).addTo(layer);
    const centre = shape.getBounds().getCenter();
    const label = `${area.name}: ${sitesText(features)} known only to the ${area.level}`;
    const marker = L.marker(centre, {
      icon: L.divIcon({ className: "area-label", html: "", iconSize: null }),
      title: label, alt: label, keyboard: true,
    }).addTo(layer);
    const tag = marker.getElement();
    tag.textContent = `${area.name} · ${sitesText(features)}`;
    // Leaflet places an icon's corner on its point and owns its transform: centre it here.
    tag.style.marginLeft = `${-tag.offsetWidth / 2}px`;
    tag.style.marginTop = `${-tag.offsetHeight / 2}px`;
    tag.setAttribute("role", "button");
    tag.setAttribute("aria-label", label);
    const open = (event) => choose(features, event?.latlng ?? centre, areaKey(area));
    shape.on("click", open);
    pressable(marker, () => open());
    for (const f of features) state.markers.set(String(f.id), { open: () => open(), latlng: centre });
    return shape.getBounds();
  }

  function drawNotes(noted) {
    // A region without borders of its own is not given any: it is noted at the edge, one
    // line per site: its name (which opens it like a marker) and what is based there.
    state.notes?.remove();
    if (!noted.length) return;
    const Note = L.Control.extend({
      onAdd() {
        const box = L.DomUtil.create("div", "map-note");
        L.DomEvent.disableClickPropagation(box);
        for (const { area, features } of noted) {
          const h = el("p", "", { class: "map-note-title" });
          h.append(el("span", area.name), el("span", " (no borders given)", { class: "muted" }));
          box.append(h);
          const ul = el("ul");
          for (const f of features) {
            const li = el("li");
            li.append(el("a", f.properties.name, { href: `#site-${f.id}`, "data-show-site": String(f.id) }));
            const what = f.properties.assets.map((a) => a.label).join(", ");
            if (what) li.append(`: ${what}`);
            ul.append(li);
            state.markers.set(String(f.id), {
              open: () => choose([f], state.map.getCenter(), `note-${f.id}`), latlng: null,
            });
          }
          box.append(ul);
        }
        return box;
      },
    });
    state.notes = new Note({ position: "topright" }).addTo(state.map);
  }

  function draw(data) {
    const { map } = state;
    state.layer?.remove();
    state.markers = new Map();
    state.layer = L.layerGroup().addTo(map);
    const areaBounds = [];
    const all = groups(data.features);
    for (const group of all.filter((g) => g.area.shape)) {
      areaBounds.push(drawArea(group, state.layer));
    }
    drawNotes(all.filter((g) => !g.area.shape));
    const cluster = L.markerClusterGroup({
      maxClusterRadius: 36, showCoverageOnHover: false, spiderfyDistanceMultiplier: 1.6,
      iconCreateFunction: clusterIcon,
    });
    const placed = [];
    for (const f of data.features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const label = `${p.name}: ${p.kind_label}${p.candidate ? ", candidate site" : ""}`;
      const marker = L.marker([lat, lon], { icon: icon(p), title: label, alt: label, riseOnHover: true });
      pressable(marker, () => choose([f], marker.getLatLng(), String(f.id)));
      cluster.addLayer(marker);
      state.markers.set(String(f.id), {
        open: () => cluster.zoomToShowLayer(marker, () => choose([f], marker.getLatLng(), String(f.id))),
        latlng: L.latLng(lat, lon),
      });
      placed.push([lat, lon]);
    }
    cluster.addTo(state.layer);
    cluster.on("animationend spiderfied unspiderfied", laterDeclutter);
    state.cluster = cluster;
    let bounds = placed.length ? L.latLngBounds(placed).pad(0.4) : null;
    for (const b of areaBounds) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    state.bounds = bounds ?? L.latLngBounds(UKRAINE);
    fit();
    declutter();
    const drawn = placed.length + all.reduce((n, g) => n + g.features.length, 0);
    announce(`Map shows ${drawn} site${drawn === 1 ? "" : "s"}.`);
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
    const shown = state?.markers.get(String(id));
    if (!shown) return false;
    shown.open();
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

  function placeLabels(map, places) {
    // Names for orientation sit in a pane below the sites' markers and take no clicks. The
    // element is the place's dot; its name hangs to one side, where declutter() puts it.
    map.createPane("places").classList.add("places-pane");
    map.on("zoomend moveend popupopen popupclose resize", laterDeclutter);
    return places.map((place) => {
      const marker = L.marker([place.lat, place.lng], {
        pane: "places", interactive: false, keyboard: false,
        icon: L.divIcon({ className: `place place-${place.kind}`, html: "", iconSize: [0, 0] }),
      }).addTo(map);
      const name = el("span", place.name, { class: "place-name" });
      marker.getElement().append(name);
      return { marker, name };
    });
  }

  function declutter() {
    if (state?.places) placeNames.declutter(state.map, state.places);
  }

  let pending = 0;
  function laterDeclutter() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(declutter);
  }

  function refresh() {
    const container = document.getElementById("map");
    const source = document.getElementById("map-data");
    if (!container || !source || typeof L === "undefined") return;
    if (!state || state.map.getContainer() !== container) {
      container.replaceChildren();
      const map = L.map(container, {
        zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: false, minZoom: 3, maxZoom: 12,
      });
      map.fitBounds(UKRAINE);
      const fresh = { map, markers: new Map(), layer: null, src: null, bounds: null, topo: null, places: null };
      state = fresh;
      state.loaded = loadBoundaries().then((data) => {
        boundaryLayers(map, data);
        fresh.places = placeLabels(map, data[2]);
        fresh.topo = data;
      });
    }
    const src = source.dataset.src;
    if (src === state.src) return;
    state.src = src;
    const mine = state;
    Promise.all([
      fetch(src, { headers: { Accept: "application/geo+json" } }).then((r) => r.json()),
      state.loaded,
    ])
      .then(([data]) => {
        if (state !== mine) return;
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
