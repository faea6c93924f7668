"""The map outlines the dashboards draw: the reference GeoJSON snapped to a grid (``ui.snap_to_grid``)."""

from __future__ import annotations

import json
from itertools import pairwise

from dashboards.ui import (
    MAP_GRID_DEGREES,
    PROVINCES_GEOJSON,
    REGIONS_GEOJSON,
    provinces_geojson,
    regions_geojson,
    snap_to_grid,
)


def _square(x0: float, y0: float, size: float, steps: int) -> list[list[float]]:
    """A closed square ring with ``steps`` vertices per side (dense, like a surveyed border)."""
    side = [i * size / steps for i in range(steps)]
    ring = [[x0 + d, y0] for d in side] + [[x0 + size, y0 + d] for d in side]
    ring += [[x0 + size - d, y0 + size] for d in side] + [[x0, y0 + size - d] for d in side]
    return [*ring, ring[0]]


def _feature(code: str, geometry_type: str, coordinates: list) -> dict:
    return {
        "type": "Feature",
        "properties": {"hcp_code": code},
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


def _rings(feature: dict) -> list[list[list[float]]]:
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _vertices(feature: dict) -> set[tuple[float, float]]:
    return {tuple(point) for ring in _rings(feature) for point in ring}


def test_snapping_keeps_shared_borders_shared_and_rings_closed() -> None:
    # two neighbours sharing the edge x = 1.0003, densely surveyed (0.001 degree between vertices)
    west = _square(0.0, 0.0, 1.0003, 1000)
    east = _square(1.0003, 0.0, 1.0, 1000)
    islet = _square(3.0, 3.0, 0.002, 4)  # smaller than the grid: collapses
    geojson = {
        "type": "FeatureCollection",
        "features": [
            _feature("A", "MultiPolygon", [[west], [islet]]),
            _feature("B", "Polygon", [east]),
            _feature("C", "Polygon", [islet]),
        ],
    }
    snapped = snap_to_grid(geojson, grid=0.01)
    a, b, c = snapped["features"]
    # the shared edge is made of the same grid points on both sides
    edge_a = {p for p in _vertices(a) if abs(p[0] - 1.0) < 1e-9}
    edge_b = {p for p in _vertices(b) if abs(p[0] - 1.0) < 1e-9}
    assert edge_a and edge_a == edge_b
    for feature in (a, b):
        for ring in _rings(feature):
            assert ring[0] == ring[-1] and len(ring) >= 4
            assert all(p != q for p, q in pairwise(ring))
        assert all(round(v / 0.01, 6).is_integer() for p in _vertices(feature) for v in p)
    assert len(_vertices(a)) < len(west) / 5, "a dense border keeps about one vertex per grid step"
    assert len(a["geometry"]["coordinates"]) == 1, "the collapsed islet is dropped from A"
    assert c["geometry"] == geojson["features"][2]["geometry"], "a feature never loses its whole outline"
    assert [f["properties"] for f in snapped["features"]] == [f["properties"] for f in geojson["features"]]


def test_the_maps_keep_every_region_and_province() -> None:
    for loaded, path in ((regions_geojson(), REGIONS_GEOJSON), (provinces_geojson(), PROVINCES_GEOJSON)):
        original = json.loads(path.read_text(encoding="utf-8"))
        properties = [f["properties"] for f in original["features"]]
        assert [f["properties"] for f in loaded["features"]] == properties
        for feature, source in zip(loaded["features"], original["features"], strict=True):
            assert _vertices(feature), feature["properties"]
            # every snapped vertex is within half a grid step of the original outline's bounding box
            xs = [p[0] for p in _vertices(source)]
            ys = [p[1] for p in _vertices(source)]
            for x, y in _vertices(feature):
                assert min(xs) - MAP_GRID_DEGREES <= x <= max(xs) + MAP_GRID_DEGREES
                assert min(ys) - MAP_GRID_DEGREES <= y <= max(ys) + MAP_GRID_DEGREES
