"""Decode MVT tiles with the independent PyPI `mapbox-vector-tile` package and print JSON.

Usage: python3 mvt_decode.py TILE.mvt...  -> a JSON list, one entry per tile, with each
layer's version, extent, dictionary sizes and features: id (and whether it is set), type,
GeoJSON geometry in raw tile coordinates (y down), properties with the protobuf field
each value was stored in, and for polygons the surveyor's doubled area of every ring plus
shapely's validity and area, and the strict validator's errors (mvt_validate.py). Exits non-zero when the package is missing.
"""

import json
import sys

import mapbox_vector_tile
import shapely.geometry
import shapely.validation
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from mvt_validate import validate


def area2(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))


def polygons_of(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def value_field(value):
    for field in ("string_value", "float_value", "double_value", "int_value", "uint_value", "sint_value", "bool_value"):
        if value.HasField(field):
            v = getattr(value, field)
            # Floats as repr text: JSON number parsers need not round-trip the last bit.
            return field, repr(v) if isinstance(v, float) else v
    raise ValueError(f"value with no field: {value}")


def decode(data):
    decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    raw = vector_tile_pb2.tile()
    raw.ParseFromString(data)
    out = {"layers": {}, "errors": validate(data)}
    for layer in raw.layers:
        features = []
        for feature, dec in zip(layer.features, decoded[layer.name]["features"]):
            props = {}
            for k, v in zip(feature.tags[::2], feature.tags[1::2]):
                props[layer.keys[k]] = list(value_field(layer.values[v]))
            entry = {
                "id": feature.id,
                "has_id": feature.HasField("id"),
                "type": feature.type,
                "geometry": dec["geometry"],
                "props": props,
                "commands": list(feature.geometry),
            }
            if feature.type == 3:
                polys = polygons_of(dec["geometry"])
                entry["ring_areas2"] = [[area2(r) for r in p] for p in polys]
                shape = shapely.geometry.shape(dec["geometry"])
                entry["valid"] = bool(shape.is_valid)
                entry["why"] = shapely.validation.explain_validity(shape)
                entry["area"] = shape.area
            features.append(entry)
        out["layers"][layer.name] = {
            "version": layer.version,
            "extent": layer.extent,
            "n_keys": len(layer.keys),
            "n_values": len(layer.values),
            "features": features,
        }
    return out


def main():
    result = []
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            result.append(decode(f.read()))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
