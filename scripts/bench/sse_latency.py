#!/usr/bin/env python3
"""Time from an acknowledged report to its event on an open /api/live stream.

Usage: sse_latency.py URL N BBOX  -> prints JSON: samples, missing, and percentiles of the
time from the 201 to the event (ack_to_event) and from sending the report (send_to_event).
Opens the SSE stream, then reports N single incidents one after another (50 ms apart);
each sample is the time between the POST's 201 arriving and the event with that change
sequence number arriving on the stream. Standard library only.
"""

import os
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse


def main():
    url, n, bbox = sys.argv[1], int(sys.argv[2]), [float(v) for v in sys.argv[3].split(",")]
    u = urllib.parse.urlparse(url)
    seen = {}
    ready = threading.Event()

    def listen():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        c.request("GET", "/api/live", headers={"Accept": "text/event-stream", "Authorization": "Bearer " + os.environ.get("ONEMAP_TOKEN", "")})
        r = c.getresponse()
        ready.set()
        seq = None
        while True:
            line = r.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith("id:"):
                seq = int(line[3:].strip())
            elif line == "" and seq is not None:
                seen[seq] = time.perf_counter()
                seq = None

    threading.Thread(target=listen, daemon=True).start()
    ready.wait(30)
    time.sleep(0.3)
    post = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    acked = []
    for _ in range(n):
        x = bbox[0] + random.random() * (bbox[2] - bbox[0])
        y = bbox[1] + random.random() * (bbox[3] - bbox[1])
        body = json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                           "properties": {"category": "dispute"}})
        sent = time.perf_counter()
        post.request("POST", "/api/incidents", body=body, headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ.get("ONEMAP_TOKEN", "")})
        r = post.getresponse()
        data = r.read()
        t = time.perf_counter()
        if r.status == 201:
            acked.append((json.loads(data)["seq"], t, sent))
        time.sleep(0.05)
    time.sleep(2)
    # The server announces before it replies, so an event may come before the 201: then
    # the wait after the acknowledgement is zero.
    lat = sorted(max(0.0, seen[s] - t) * 1000 for s, t, _ in acked if s in seen)
    full = sorted((seen[s] - sent) * 1000 for s, _, sent in acked if s in seen)
    missing = sum(1 for s, _, _ in acked if s not in seen)

    def q(v, p):
        return round(v[min(len(v) - 1, int(p * len(v)))], 2) if v else None

    print(json.dumps({"samples": len(lat), "missing": missing,
                      "ack_to_event_p50_ms": q(lat, 0.5), "ack_to_event_p99_ms": q(lat, 0.99),
                      "send_to_event_p50_ms": q(full, 0.5), "send_to_event_p99_ms": q(full, 0.99),
                      "send_to_event_max_ms": round(full[-1], 2) if full else None}))


main()
