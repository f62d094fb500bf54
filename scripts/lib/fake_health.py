#!/usr/bin/env python3
"""Stand-ins for swvpnd's /health listeners, for the swvpn-monitor tests (127.0.0.1 only).

usage: fake_health.py PORT...    prints "control PORT" then "ready" once every port listens.

Every PORT answers GET /health per its mode: "ok" (200, state up), "down" (503, state lost) or "silent"
(accepts, never answers). The control port takes GET /set?port=P&mode=M (or port=all).
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

modes = {}
lock = threading.Lock()


class Health(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        port = self.server.server_address[1]
        with lock:
            mode = modes[port]
        if mode == "silent":
            time.sleep(30)
            return
        up = mode == "ok"
        body = json.dumps({"tunnel": f"t{port}", "state": "up" if up else "lost",
                           "reason": None if up else "no packets for 6 s", "last_received_seconds": 0.2,
                           "last_sent_seconds": 0.1, "probe": None}).encode()
        self.send_response(200 if up else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class Control(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        port, mode = query.get("port", [""])[0], query.get("mode", [""])[0]
        with lock:
            ok = mode in ("ok", "down", "silent") and (port == "all" or port.isdigit() and int(port) in modes)
            if ok:
                for p in (list(modes) if port == "all" else [int(port)]):
                    modes[p] = mode
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    for arg in sys.argv[1:]:
        port = int(arg)
        modes[port] = "ok"
        serve(ThreadingHTTPServer(("127.0.0.1", port), Health))
    control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    serve(control)
    print(f"control {control.server_address[1]}", flush=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
