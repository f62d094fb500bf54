#!/usr/bin/env python3
"""Stand-in for swvpnd's `health-listen` on the HA stand: GET /health answers 200 while a ping through
the tunnel to the peer's tunnel address succeeds (checked every 0.5 s), 503 otherwise.

usage: health_shim.py LISTEN-ADDRESS PORT PEER-TUNNEL-ADDRESS    (run inside the VPN namespace)
"""
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

last_ok = 0.0


def prober(peer):
    global last_ok
    while True:
        t = time.time()
        r = subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "1", peer],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            last_ok = time.time()
        time.sleep(max(0.0, 0.5 - (time.time() - t)))


class Health(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        age = time.time() - last_ok
        up = age < 1.2  # the latest probe, or the one before, answered
        body = json.dumps({"state": "up" if up else "lost", "probe_age_seconds": round(age, 2)}).encode()
        self.send_response(200 if up else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def main():
    address, port, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    threading.Thread(target=prober, args=(peer,), daemon=True).start()
    ThreadingHTTPServer((address, port), Health).serve_forever()


if __name__ == "__main__":
    main()
