#!/usr/bin/env python3
"""A small IMDSv2 stand-in for tests, on 127.0.0.1 only.

PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds and returns a token valid for
min(requested, --token-ttl) seconds; GETs without a live token get 401. Role credentials rotate on
every fetch (AccessKeyId ASIASTUB<n>) with Expiration = now + --cred-lifetime. --down-for N refuses
every request (connection closed without an answer) for the first N seconds.

Test controls (not part of IMDS): POST /_control/revoke-tokens, POST /_control/down?seconds=N,
GET /_control/log (one JSON object per request: method, path, outcome).
usage: imds_stub.py PORT [--token-ttl S] [--cred-lifetime S] [--down-for S] [--region R] [--instance-id I] [--role R]
"""
import argparse
import datetime
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
STATE = {"tokens": {}, "rotation": 0, "down_until": 0.0, "log": []}


def iso(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None

    def log_message(self, fmt, *a):
        pass

    def note(self, outcome):
        with LOCK:
            STATE["log"].append({"method": self.command, "path": self.path, "outcome": outcome})

    def reply(self, status, body=b"", ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self):
        url = urlparse(self.path)
        if url.path == "/_control/log":
            with LOCK:
                body = json.dumps(STATE["log"]).encode()
            return self.reply(200, body, "application/json")
        if url.path == "/_control/revoke-tokens":
            with LOCK:
                STATE["tokens"].clear()
            return self.reply(200, b"revoked")
        if url.path == "/_control/down":
            seconds = float(parse_qs(url.query).get("seconds", ["0"])[0])
            with LOCK:
                STATE["down_until"] = time.time() + seconds
            return self.reply(200, b"down")
        return self.reply(404)

    def handle_any(self):
        if self.path.startswith("/_control/"):
            return self.control()
        with LOCK:
            down = time.time() < STATE["down_until"]
        if down:
            self.note("down")
            self.close_connection = True
            self.connection.close()
            return
        a = self.args
        if self.command == "PUT":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if self.path != "/latest/api/token" or not ttl or not ttl.isdigit():
                self.note("400")
                return self.reply(400)
            token = secrets.token_urlsafe(24)
            with LOCK:
                STATE["tokens"][token] = time.time() + min(int(ttl), a.token_ttl)
            self.note("token")
            return self.reply(200, token.encode())
        if self.command != "GET":
            return self.reply(405)
        token = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            live = token in STATE["tokens"] and STATE["tokens"][token] > time.time()
        if not live:
            self.note("401")
            return self.reply(401)
        path = self.path
        creds = "/latest/meta-data/iam/security-credentials/"
        if path == "/latest/meta-data/placement/region":
            body = a.region
        elif path == "/latest/meta-data/instance-id":
            body = a.instance_id
        elif path in (creds, creds.rstrip("/")):
            body = a.role
        elif path == creds + a.role:
            with LOCK:
                STATE["rotation"] += 1
                n = STATE["rotation"]
            now = time.time()
            body = json.dumps({"Code": "Success", "LastUpdated": iso(now), "Type": "AWS-HMAC",
                               "AccessKeyId": f"ASIASTUB{n}", "SecretAccessKey": f"stub-secret-{n}",
                               "Token": f"stub-session-token-{n}", "Expiration": iso(now + a.cred_lifetime)})
        else:
            self.note("404")
            return self.reply(404)
        self.note("200")
        return self.reply(200, body.encode())

    do_GET = handle_any
    do_PUT = handle_any
    do_POST = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--token-ttl", type=int, default=21600)
    p.add_argument("--cred-lifetime", type=int, default=3600)
    p.add_argument("--down-for", type=float, default=0)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--instance-id", default="i-0monitor000000001")
    p.add_argument("--role", default="swvpn-monitor")
    Handler.args = p.parse_args()
    STATE["down_until"] = time.time() + Handler.args.down_for
    server = ThreadingHTTPServer(("127.0.0.1", Handler.args.port), Handler)
    print(f"imds_stub listening on 127.0.0.1:{Handler.args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
