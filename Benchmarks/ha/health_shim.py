#!/usr/bin/env python3
"""Stand-in for swvpnd's `health-listen` on the HA stand: GET /health answers 200 while pings through
the tunnel to the peer's tunnel address answer, 503 otherwise. An ICMP echo goes out every 0.25 s from a
raw socket (no process per probe: a loaded machine must not fake an outage); up while the latest reply
is under 1 s old, so about three lost probes in a row make it "down".

usage: health_shim.py LISTEN-ADDRESS PORT PEER-TUNNEL-ADDRESS    (root, inside the VPN namespace)
"""
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

last_ok = 0.0
IDENT = os.getpid() & 0xFFFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def prober(sock, peer):
    seq = 0
    while True:
        seq = (seq + 1) & 0xFFFF
        header = struct.pack("!BBHHH", 8, 0, 0, IDENT, seq)
        payload = b"swvpn-ha-shim"
        packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), IDENT, seq) + payload
        try:
            sock.sendto(packet, (peer, 0))
        except OSError:
            pass  # no route (tunnel device gone): the missing reply says it
        time.sleep(0.25)


def receiver(sock, peer):
    global last_ok
    while True:
        data, (src, _) = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        if src == peer and len(data) >= ihl + 8:
            kind, _, _, ident, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if kind == 0 and ident == IDENT:
                last_ok = time.time()


class Health(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        age = time.time() - last_ok
        up = age < 1.0
        body = json.dumps({"state": "up" if up else "lost", "probe_age_seconds": round(age, 2)}).encode()
        self.send_response(200 if up else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def main():
    address, port, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    threading.Thread(target=prober, args=(sock, peer), daemon=True).start()
    threading.Thread(target=receiver, args=(sock, peer), daemon=True).start()
    ThreadingHTTPServer((address, port), Health).serve_forever()


if __name__ == "__main__":
    main()
