#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a local moto server, on 127.0.0.1 only.

Every request is forwarded to UPSTREAM (http://127.0.0.1:PORT) unless a queued fault matches it.
Faults are queued with POST /_fault (JSON list of {"fault": F, "action": A?, "count": N?, "seconds": S?}):
  throttle  answer 503 RequestLimitExceeded (EC2's throttling error, XML as AWS sends it)
  503       answer 503 with an HTML body (a load balancer's, not EC2's)
  delay     wait S seconds, then forward
  reset     close the connection without an answer
  deny      answer 403 UnauthorizedOperation (a missing IAM permission, as EC2 words it; DryRun or not)
A fault applies to the next N requests (default 1) whose Action is A (any action when absent).
--clock-offset S makes the proxy act as a server whose clock is S seconds ahead: a request whose
X-Amz-Date is more than 5 minutes off that clock gets 400 RequestExpired, and every answer carries
that clock in its Date header.
GET /_fault/log lists what happened to each request: {"action": A, "fault": F or "pass"}.
POST /_fault/clear drops queued faults and the log.
usage: ec2_fault_proxy.py PORT UPSTREAM [--clock-offset S] [--host ADDRESS]
"""
import argparse
import datetime
import email.utils
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
FAULTS = []
LOG = []

THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            b'<Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>')
DENIED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>'
          '<Message>You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/'
          'swvpn-monitor/i-0test is not authorized to perform: ec2:{} because no identity-based policy allows the '
          'ec2:{} action.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>')
EXPIRED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestExpired</Code>'
           '<Message>Request has expired. Timestamp date is {}</Message></Error></Errors>'
           '<RequestID>fault-proxy</RequestID></Response>')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    offset = 0

    def log_message(self, fmt, *a):
        pass

    def server_now(self):
        return time.time() + self.offset

    def reply(self, status, body, ctype="text/xml", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_response(self, code, message=None):
        # Our own Date header, from the (possibly skewed) server clock.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", "ec2-fault-proxy")
        self.send_header("Date", email.utils.formatdate(self.server_now(), usegmt=True))

    def control(self, body):
        if self.path == "/_fault" and self.command == "POST":
            with LOCK:
                for f in json.loads(body or b"[]"):
                    FAULTS.append(dict(f, count=f.get("count", 1)))
            return self.reply(200, b"queued", "text/plain")
        if self.path == "/_fault/clear":
            with LOCK:
                FAULTS.clear()
                LOG.clear()
            return self.reply(200, b"cleared", "text/plain")
        if self.path == "/_fault/log":
            with LOCK:
                data = json.dumps(LOG).encode()
            return self.reply(200, data, "application/json")
        return self.reply(404, b"", "text/plain")

    def take_fault(self, action):
        with LOCK:
            for f in FAULTS:
                if f.get("action") in (None, action):
                    f["count"] -= 1
                    if f["count"] <= 0:
                        FAULTS.remove(f)
                    return f
        return None

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_fault"):
            return self.control(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0] if body else ""
        amz = self.headers.get("X-Amz-Date")
        if self.offset and amz:
            sent = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
            if abs(sent - self.server_now()) > 300:
                with LOCK:
                    LOG.append({"action": action, "fault": "expired"})
                return self.reply(400, EXPIRED.format(amz).encode())
        fault = self.take_fault(action) if action else None
        kind = fault["fault"] if fault else "pass"
        with LOCK:
            LOG.append({"action": action, "fault": kind})
        if kind == "throttle":
            return self.reply(503, THROTTLE)
        if kind == "deny":
            return self.reply(403, DENIED.format(action, action).encode())
        if kind == "503":
            return self.reply(503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
        if kind == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            self.connection.close()
            return
        if kind == "delay":
            time.sleep(float(fault.get("seconds", 1)))
        self.forward(body)

    def forward(self, body):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=dict(headers, Host=self.headers.get("Host", "")))
            r = conn.getresponse()
            data = r.read()
            extra = [(k, v) for k, v in r.getheaders()
                     if k.lower() not in ("date", "server", "content-length", "content-type", "connection",
                                          "transfer-encoding")]
            self.reply(r.status, data, r.getheader("Content-Type", "text/xml"), extra)
        finally:
            conn.close()

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("upstream")
    p.add_argument("--clock-offset", type=float, default=0)
    p.add_argument("--host", default="127.0.0.1", help="listen address (an address inside a test namespace)")
    a = p.parse_args()
    Handler.upstream = urlparse(a.upstream)
    if Handler.upstream.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("ec2_fault_proxy.py: upstream must be on loopback")
    Handler.offset = a.clock_offset
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    print(f"ec2_fault_proxy listening on {a.host}:{a.port} -> {a.upstream}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
