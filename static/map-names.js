// Place names on the map that give way. Leaflet has no label collision: each name is shown
// only where its box lies inside the map and clears every marker, cluster, area label,
// control, popup and each name already shown, trying the dot's right side, then its left,
// below and above. places.json lists the most important places first, so a capital or
// larger city keeps its name over a smaller place nearby. Used by static/map.js.
(() => {
  const GAP = 2;  // px kept clear around a name, for its halo and legibility
  // Where a name of w x h px may hang from its dot at (x, y), in order of preference: the
  // span it covers with the dot across and down; its class places it so (app.css).
  const SIDES = [
    { name: "place-east", across: (x, w) => [x - 3, x + 4 + w], down: (y, h) => [y - h / 2, y + h / 2] },
    { name: "place-west", across: (x, w) => [x - 4 - w, x + 3], down: (y, h) => [y - h / 2, y + h / 2] },
    { name: "place-south", across: (x, w) => [x - w / 2, x + w / 2], down: (y, h) => [y - 3, y + 3 + h] },
    { name: "place-north", across: (x, w) => [x - w / 2, x + w / 2], down: (y, h) => [y - 3 - h, y + 3] },
  ];

  function boxAt(side, at, name) {
    const [left, right] = side.across(at.x, name.offsetWidth);
    const [top, bottom] = side.down(at.y, name.offsetHeight);
    return { side, left: left - GAP, right: right + GAP, top: top - GAP, bottom: bottom + GAP };
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function obstacles(map) {
    // Where markers, clusters and area labels settle, from the position Leaflet set, so a
    // cluster still animating counts where it ends; controls and a popup as drawn.
    const boxes = [];
    const container = map.getContainer();
    for (const icon of container.querySelectorAll(".leaflet-marker-pane > .leaflet-marker-icon")) {
      if (icon.style.opacity === "0") continue;  // a marker folded into its cluster
      const at = map.layerPointToContainerPoint(L.DomUtil.getPosition(icon));
      const box = {
        left: at.x + icon.offsetLeft, top: at.y + icon.offsetTop,
        right: at.x + icon.offsetLeft + icon.offsetWidth, bottom: at.y + icon.offsetTop + icon.offsetHeight,
      };
      boxes.push(box);
      const badge = icon.querySelector(".marker-badge");
      if (badge) {
        boxes.push({
          left: box.left + badge.offsetLeft, top: box.top + badge.offsetTop,
          right: box.left + badge.offsetLeft + badge.offsetWidth, bottom: box.top + badge.offsetTop + badge.offsetHeight,
        });
      }
    }
    const frame = container.getBoundingClientRect();
    for (const drawn of container.querySelectorAll(".leaflet-control, .leaflet-popup")) {
      const r = drawn.getBoundingClientRect();
      boxes.push({ left: r.left - frame.left, top: r.top - frame.top, right: r.right - frame.left, bottom: r.bottom - frame.top });
    }
    return boxes;
  }

  function declutter(map, places) {
    if (!map.getContainer().offsetWidth) return;
    const taken = obstacles(map);
    const frame = map.getSize();
    const inside = (box) => box.left >= 0 && box.top >= 0 && box.right <= frame.x && box.bottom <= frame.y;
    for (const { marker, name } of places) {
      const dot = marker.getElement();
      dot.classList.remove("place-hidden", ...SIDES.map((side) => side.name));
      const at = map.latLngToContainerPoint(marker.getLatLng());
      const box = SIDES.map((side) => boxAt(side, at, name))
        .find((b) => inside(b) && !taken.some((t) => overlaps(b, t)));
      if (box) {
        dot.classList.add(box.side.name);
        taken.push(box);
      } else {
        dot.classList.add("place-hidden");
      }
    }
  }

  window.PeaceplanPlaceNames = { declutter };
})();
