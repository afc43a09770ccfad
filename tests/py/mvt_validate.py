"""A strict MVT 2.1 validator reading the protobuf wire format itself (no generated code).

`validate(data)` returns a list of error strings (empty for a valid tile). It checks what
the specification says a tile MUST be: field wire types, layer version 2, names (unique),
values with exactly one known field, feature types, even tags within the dictionaries,
exactly one geometry, and command sequences (MoveTo/LineTo/ClosePath counts and parameters,
no ClosePath in lines, polygons starting with an exterior ring of positive area, no
zero-area rings, no zero-length line segments).

Run as `python3 mvt_validate.py` to check it against @mapbox/mvt-fixtures, npm-installed
into a temporary directory (or `python3 mvt_validate.py FIXTURES_DIR`): prints JSON
[{fixture, description, valid_v2, errors}].
"""

import json
import os
import subprocess
import sys
import tempfile

LEN, VARINT, I64, I32 = 2, 0, 1, 5


class Bad(Exception):
    pass


def varint(buf, i):
    shift = v = 0
    while True:
        if i >= len(buf):
            raise Bad("truncated varint")
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i
        shift += 7
        if shift > 63:
            raise Bad("varint too long")


def fields(buf):
    """(field, wire, value) for every field; value is bytes for LEN, int otherwise."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            v, i = varint(buf, i)
        elif wire == LEN:
            n, i = varint(buf, i)
            if i + n > len(buf):
                raise Bad(f"field {field} overruns its message")
            v, i = buf[i : i + n], i + n
        elif wire == I64:
            v, i = buf[i : i + 8], i + 8
        elif wire == I32:
            v, i = buf[i : i + 4], i + 4
        else:
            raise Bad(f"field {field} has unknown wire type {wire}")
        if i > len(buf):
            raise Bad("truncated field")
        yield field, wire, v


def packed(v, wire):
    if wire == VARINT:
        return [v]
    if wire != LEN:
        raise Bad("packed field with wrong wire type")
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def expect(wire, want, what):
    if wire != want:
        raise Bad(f"{what} has wire type {wire}, expected {want}")


def zz(n):
    return (n >> 1) ^ -(n & 1)


VALUE_WIRES = {1: LEN, 2: I32, 3: I64, 4: VARINT, 5: VARINT, 6: VARINT, 7: VARINT}


def check_value(msg):
    seen = [(f, w) for f, w, _ in fields(msg)]
    if len(seen) != 1:
        raise Bad(f"value has {len(seen)} fields, expected exactly one")
    f, w = seen[0]
    if f not in VALUE_WIRES:
        raise Bad(f"value has unknown field {f}")
    expect(w, VALUE_WIRES[f], f"value field {f}")


def area2(ring):
    n = len(ring)
    return sum(ring[k][0] * ring[(k + 1) % n][1] - ring[(k + 1) % n][0] * ring[k][1] for k in range(n))


def check_geometry(ints, gtype):
    i, x, y = 0, 0, 0
    parts, cur = [], None

    def params(count):
        nonlocal i, x, y
        if i + 2 * count > len(ints):
            raise Bad("command count exceeds the parameters")
        pts = []
        for _ in range(count):
            x += zz(ints[i])
            y += zz(ints[i + 1])
            i += 2
            pts.append((x, y))
        return pts

    while i < len(ints):
        cmd, count = ints[i] & 7, ints[i] >> 3
        i += 1
        if cmd == 1:
            if gtype != 1 and count != 1:
                raise Bad(f"MoveTo count {count} in a line or polygon")
            if count == 0:
                raise Bad("MoveTo count 0")
            if gtype == 1 and parts:
                raise Bad("more than one MoveTo in a point geometry")
            cur = params(count)
            parts.append(cur)
        elif cmd == 2:
            if gtype == 1 or cur is None or count == 0:
                raise Bad("LineTo without a MoveTo, in points, or with count 0")
            pts = params(count)
            for a, b in zip([cur[-1]] + pts, pts):
                if a == b:
                    raise Bad("zero-length segment")
            cur.extend(pts)
        elif cmd == 7:
            if gtype != 3 or cur is None:
                raise Bad("ClosePath outside a polygon ring")
            if count != 1:
                raise Bad(f"ClosePath count {count}")
            if len(cur) < 3:
                raise Bad("ring with fewer than 3 vertices")
            cur = None
        else:
            raise Bad(f"unknown command {cmd}")
    if gtype == 1 and not parts:
        raise Bad("point geometry without points")
    if gtype == 2:
        if not parts or any(len(p) < 2 for p in parts):
            raise Bad("line with fewer than 2 points")
    if gtype == 3:
        if cur is not None:
            raise Bad("ring not closed with ClosePath")
        if not parts:
            raise Bad("polygon without rings")
        areas = [area2(r) for r in parts]
        if any(a == 0 for a in areas):
            raise Bad("zero-area ring")
        if areas[0] < 0:
            raise Bad("polygon does not start with an exterior (positive area) ring")


def check_feature(msg, n_keys, n_values):
    gtype, geoms, tags = None, [], []
    for f, w, v in fields(msg):
        if f == 1:
            expect(w, VARINT, "feature id")
        elif f == 2:
            tags += packed(v, w)
        elif f == 3:
            expect(w, VARINT, "feature type")
            gtype = v
        elif f == 4:
            geoms.append(packed(v, w))
    if gtype is None:
        raise Bad("feature without a type")
    if gtype not in (0, 1, 2, 3):
        raise Bad(f"feature type {gtype}")
    if len(geoms) != 1:
        raise Bad(f"feature with {len(geoms)} geometry fields")
    if len(tags) % 2:
        raise Bad("odd number of tags")
    for k, val in zip(tags[::2], tags[1::2]):
        if k >= n_keys or val >= n_values:
            raise Bad("tag index outside the layer dictionaries")
    if gtype != 0:
        check_geometry(geoms[0], gtype)


def check_layer(msg, names):
    name, version, keys, values, features = None, None, [], [], []
    for f, w, v in fields(msg):
        if f == 1:
            expect(w, LEN, "layer name")
            name = v.decode("utf-8")
        elif f == 2:
            expect(w, LEN, "feature")
            features.append(v)
        elif f == 3:
            expect(w, LEN, "key")
            keys.append(v.decode("utf-8"))
        elif f == 4:
            expect(w, LEN, "value")
            check_value(v)
            values.append(v)
        elif f == 5:
            expect(w, VARINT, "extent")
            if v == 0:
                raise Bad("extent 0")
        elif f == 15:
            expect(w, VARINT, "version")
            version = v
    if name is None:
        raise Bad("layer without a name")
    # Version 1 layers stay readable by 2.x decoders (fixture 039); onemap's own tiles are
    # checked for version 2 by the tests that decode them.
    if version not in (1, 2):
        raise Bad(f"layer version {version}, expected 2 (or 1)")
    if name in names:
        raise Bad(f"duplicate layer name {name!r}")
    names.add(name)
    for feat in features:
        check_feature(feat, len(keys), len(values))


def validate(data):
    try:
        names = set()
        for f, w, v in fields(data):
            if f == 3:
                expect(w, LEN, "layer")
                check_layer(v, names)
        return []
    except (Bad, UnicodeDecodeError) as e:
        return [str(e)]


FIXTURES_VERSION = "4.0.0"


def install_fixtures(tmp):
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", tmp, f"@mapbox/mvt-fixtures@{FIXTURES_VERSION}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return os.path.join(tmp, "node_modules", "@mapbox", "mvt-fixtures", "fixtures")


def main():
    if len(sys.argv) > 1:
        report(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report(install_fixtures(tmp))


def report(root):
    out = []
    for name in sorted(os.listdir(root)):
        with open(os.path.join(root, name, "info.json")) as f:
            info = json.load(f)
        with open(os.path.join(root, name, "tile.mvt"), "rb") as f:
            errors = validate(f.read())
        out.append(
            {"fixture": name, "description": info["description"], "valid_v2": bool(info["validity"].get("v2")), "errors": errors}
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
