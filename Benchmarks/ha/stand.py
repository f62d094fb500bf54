#!/usr/bin/env python3
"""The HA stand behind Benchmarks/ha/run.sh (which starts this inside the `ha-aws` namespace it made).

Builds the four-instance layout in namespaces (prefix ha-), runs moto + the fault proxy here, mirrors
moto's route tables into the VPC routers' kernel routes and moto's instance power state into the VPN
namespaces, runs swvpn-monitor in its own namespace, injects the faults one after the other and prints
one result line per fault (JSON) and the final `ha:` line. Measures; asserts nothing.

Namespaces (all made here, deleted at the end):
  ha-aws   moto (127.0.0.1) and the fault proxy (172.31.255.1), this script
  ha-mon   swvpn-monitor; veths to ha-aws, ha-vr1, ha-vr2 (its "own links")
  ha-inet  the internet: one routed /30 per VPN instance's public address
  ha-vpn1a ha-vpn1b ha-vpn2a ha-vpn2b   swvpnd (vpn2b: openvpn 2.6) with its own /health (openvpn: the
           health shim), public + private veth
  ha-vr1 ha-vr2   VPC routers: table 101 = zone a's route table, 102 = zone b's (ip rule by source)
  ha-h1 ha-h2     private hosts: 10.X.10.10 lives in zone a, 10.X.11.10 in zone b
"""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ["HA_WORK"]
SWVPND = os.environ["SWVPND_BIN"]
MONITOR = os.environ["SWVPN_MONITOR_BIN"]
# "swvpnd": swvpnd's own `health-listen` + in-tunnel `health-probe` (openvpn, which has neither, gets the
# shim); "shim": health_shim.py next to every daemon.
HEALTH = os.environ.get("HEALTH", "swvpnd")
FAULT_SECONDS = float(os.environ.get("FAULT_SECONDS", "10"))
# How many times the failover fault list runs (the flapping and no-write windows run once).
REPEAT = int(os.environ.get("REPEAT", "3"))
AWS_IP, MON_AWS_IP = "172.31.255.1", "172.31.255.2"
HEALTH_PORT = 9180

NAMES = ["vpn1a", "vpn1b", "vpn2a", "vpn2b"]
PUB = {n: f"198.51.100.{4 * i + 2}" for i, n in enumerate(NAMES)}
PUB_GW = {n: f"198.51.100.{4 * i + 1}" for i, n in enumerate(NAMES)}
PRIV = {n: f"10.{n[3]}.{'ab'.index(n[4])}.10" for n in NAMES}
TUN = {"vpn1a": ("10.255.1.1", "10.255.1.2"), "vpn2a": ("10.255.1.2", "10.255.1.1"),
       "vpn1b": ("10.255.2.1", "10.255.2.2"), "vpn2b": ("10.255.2.2", "10.255.2.1")}
PEER = {"vpn1a": "vpn2a", "vpn2a": "vpn1a", "vpn1b": "vpn2b", "vpn2b": "vpn1b"}
IMPL = {"vpn1a": "swvpnd", "vpn2a": "swvpnd", "vpn1b": "swvpnd", "vpn2b": "openvpn"}
TUNNEL = {"A": ("vpn1a", "vpn2a"), "B": ("vpn1b", "vpn2b")}

created_ns, procs = [], {}
lock = threading.Lock()
log_lines = []        # (time, line) of the monitor's log
route_events = []     # (time, table name, instance)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


def sh(*args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def ns_exec(ns, *args, check=True):
    return sh("ip", "netns", "exec", ns, *args, check=check)


def spawn(key, ns, args, logname=None, stdout=None):
    """Starts a process in `ns` (ip netns exec execs, so the PID is the program's) and records its PID."""
    cmd = (["ip", "netns", "exec", ns] if ns else []) + args
    out = stdout or open(os.path.join(WORK, (logname or key) + ".log"), "ab")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    procs[key] = p
    with open(os.path.join(WORK, "pids"), "a") as f:
        f.write(f"{p.pid}\n")
    return p


def stop(key, sig=signal.SIGTERM):
    p = procs.pop(key, None)
    if p is None:
        return
    try:
        os.kill(p.pid, signal.SIGCONT)
        os.kill(p.pid, sig)
        p.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def add_ns(name):
    sh("ip", "netns", "add", name)
    created_ns.append(name)
    with open(os.path.join(WORK, "netns"), "a") as f:
        f.write(name + "\n")
    sh("ip", "-n", name, "link", "set", "lo", "up")
    for k in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"):
        ns_exec(name, "sysctl", "-qw", k)


def veth(ns1, if1, addrs1, ns2, if2, addrs2):
    sh("ip", "link", "add", if1, "netns", ns1, "type", "veth", "peer", "name", if2, "netns", ns2)
    for ns, ifn, addrs in ((ns1, if1, addrs1), (ns2, if2, addrs2)):
        for a in addrs:
            sh("ip", "-n", ns, "addr", "add", a, "dev", ifn)
        sh("ip", "-n", ns, "link", "set", ifn, "up")


def link(ns, ifn, state):
    sh("ip", "-n", ns, "link", "set", ifn, state)


# --- topology ----------------------------------------------------------------------------------

def build_namespaces():
    for n in ["ha-mon", "ha-inet", "ha-vr1", "ha-vr2", "ha-h1", "ha-h2"] + [f"ha-{n}" for n in NAMES]:
        add_ns(n)
    # ha-aws is ours too (run.sh made it and runs us in it); its end of the monitor's link:
    veth("ha-aws", "mon0", [f"{AWS_IP}/30"], "ha-mon", "aws0", [f"{MON_AWS_IP}/30"])
    for v in "12":
        vr = f"ha-vr{v}"
        veth(vr, "h0", [f"10.{v}.10.1/24", f"10.{v}.11.1/24"], f"ha-h{v}", "eth0", [f"10.{v}.10.10/24", f"10.{v}.11.10/24"])
        sh("ip", "-n", f"ha-h{v}", "route", "add", "default", "via", f"10.{v}.10.1")
        veth(vr, "mon0", [f"10.{v}.20.1/24"], "ha-mon", f"vr{v}", [f"10.{v}.20.2/24"])
        sh("ip", "-n", "ha-mon", "route", "add", f"10.{v}.0.0/16", "via", f"10.{v}.20.1")
        # zone a's hosts use route table 101 (rt{v}a), zone b's 102 (rt{v}b); no entry there: main table.
        sh("ip", "-n", vr, "rule", "add", "from", f"10.{v}.10.0/24", "lookup", "101", "priority", "100")
        sh("ip", "-n", vr, "rule", "add", "from", f"10.{v}.11.0/24", "lookup", "102", "priority", "101")
    for n in NAMES:
        ns, v, z = f"ha-{n}", n[3], "ab".index(n[4])
        veth(ns, "pub0", [f"{PUB[n]}/30"], "ha-inet", n, [f"{PUB_GW[n]}/30"])
        sh("ip", "-n", ns, "route", "add", "default", "via", PUB_GW[n])
        veth(ns, "priv0", [f"{PRIV[n]}/24"], f"ha-vr{v}", n, [f"10.{v}.{z}.1/24"])
        sh("ip", "-n", ns, "route", "add", f"10.{v}.0.0/16", "via", f"10.{v}.{z}.1")
    os.makedirs(os.path.join(WORK, "conf"), exist_ok=True)
    sh("openvpn", "--genkey", "secret", os.path.join(WORK, "conf", "A.key"))
    sh("openvpn", "--genkey", "secret", os.path.join(WORK, "conf", "B.key"))


def daemon_conf(n):
    other_vpc = "2" if n[3] == "1" else "1"
    key = os.path.join(WORK, "conf", ("A" if n[4] == "a" else "B") + ".key")
    text = (f"dev tun\nproto udp\nport 1194\nremote {PUB[PEER[n]]}\nifconfig {TUN[n][0]} {TUN[n][1]}\n"
            f"secret {key}\ncipher AES-256-CBC\nauth SHA256\nroute 10.{other_vpc}.0.0 255.255.0.0\nverb 3\n")
    if IMPL[n] == "swvpnd" and HEALTH == "swvpnd":
        text += f"health-listen {PRIV[n]} {HEALTH_PORT}\nhealth-probe 1\n"
    path = os.path.join(WORK, "conf", f"{n}.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def start_instance_software(n):
    conf = daemon_conf(n)
    binary = SWVPND if IMPL[n] == "swvpnd" else "openvpn"
    spawn(f"d-{n}", f"ha-{n}", [binary, "--config", conf], f"{IMPL[n]}-{n}")
    if IMPL[n] == "openvpn" or HEALTH == "shim":
        spawn(f"h-{n}", f"ha-{n}", ["python3", os.path.join(HERE, "health_shim.py"), PRIV[n], str(HEALTH_PORT), TUN[n][1]],
              f"health-{n}")


def restart_daemon(n):
    stop(f"d-{n}", signal.SIGKILL)
    binary = SWVPND if IMPL[n] == "swvpnd" else "openvpn"
    spawn(f"d-{n}", f"ha-{n}", [binary, "--config", daemon_conf(n)], f"{IMPL[n]}-{n}")


def wait_tunnels(timeout=60):
    deadline = time.time() + timeout
    for n in NAMES:
        while subprocess.run(["ip", "netns", "exec", f"ha-{n}", "ping", "-n", "-q", "-c", "1", "-W", "1", TUN[n][1]],
                             stdout=subprocess.DEVNULL).returncode != 0:
            if time.time() > deadline:
                raise RuntimeError(f"{n}: no ping through its tunnel after {timeout} s")
            time.sleep(0.3)


# --- moto and the mirrors ------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(host, port, what, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} not listening on {host}:{port}")


def ec2_client(endpoint):
    return boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="stand",
                        aws_secret_access_key="stand")


class Mirrors(threading.Thread):
    """moto -> kernel: each table's target becomes the VPC router's route (every 200 ms), each instance's
    power state becomes its namespace's (links, daemons) — so the monitor's API calls move real packets."""

    def __init__(self, moto, topo):
        super().__init__(daemon=True)
        self.ec2, self.topo = ec2_client(moto), topo
        self.eni_to_name = {i["eniId"]: n for n, i in topo["instances"].items()}
        self.id_to_name = {i["instanceId"]: n for n, i in topo["instances"].items()}
        self.targets, self.power = {}, {n: "running" for n in NAMES}
        self.stopped = False

    def sync_routes(self):
        by_id = {t["RouteTableId"]: t for t in self.ec2.describe_route_tables()["RouteTables"]}
        for name, t in self.topo["tables"].items():
            target = next((r.get("NetworkInterfaceId") for r in by_id[t["id"]]["Routes"]
                           if r.get("DestinationCidrBlock") == t["destination"]), None)
            inst = self.eni_to_name.get(target)
            if inst and self.targets.get(name) != inst:
                v = name[2]
                sh("ip", "-n", f"ha-vr{v}", "route", "replace", t["destination"], "via", PRIV[inst],
                   "table", "101" if name[3] == "a" else "102")
                self.targets[name] = inst
                with lock:
                    route_events.append((time.time(), name, inst))

    def sync_power(self):
        for r in self.ec2.describe_instances()["Reservations"]:
            for i in r["Instances"]:
                n = self.id_to_name.get(i["InstanceId"])
                state = i["State"]["Name"]
                on = state in ("running", "pending")
                if n is None or on == (self.power[n] in ("running", "pending")):
                    continue
                self.power[n] = state
                log(f"power shim: {n} {state}")
                if on:
                    link(f"ha-{n}", "pub0", "up")
                    link(f"ha-{n}", "priv0", "up")
                    sh("ip", "-n", f"ha-{n}", "route", "replace", "default", "via", PUB_GW[n])
                    v, z = n[3], "ab".index(n[4])
                    sh("ip", "-n", f"ha-{n}", "route", "replace", f"10.{v}.0.0/16", "via", f"10.{v}.{z}.1")
                    start_instance_software(n)
                else:
                    stop(f"d-{n}", signal.SIGKILL)
                    stop(f"h-{n}", signal.SIGKILL)
                    link(f"ha-{n}", "pub0", "down")
                    link(f"ha-{n}", "priv0", "down")

    def run(self):
        k = 0
        while not self.stopped:
            try:
                self.sync_routes()
                if k % 3 == 0:
                    self.sync_power()
            except Exception as e:  # moto busy for a moment: next round
                log(f"mirror: {e}")
            k += 1
            time.sleep(0.2)


# --- the monitor -----------------------------------------------------------------------------------

def monitor_conf(topo, proxy):
    lines = ["region us-east-1", f"ec2-endpoint {proxy}", f"imds-endpoint {proxy}",
             f"status-file {WORK}/status.json", "check-interval 1", "health-timeout 0.8", "fall 2", "rise 5",
             "failback-hold 10", "failback-min-interval 0", "flap-damping 3 25", "ec2-interval 2",
             "route-grace 5", "isolation-after 10", "restart yes", "restart-after 30", "boot-grace 30",
             "restart-cooldown 0", "restart-limit 10 3600"]
    for n in NAMES:
        i = topo["instances"][n]
        lines.append(f"instance {n} {i['instanceId']} {i['eniId']} http://{PRIV[n]}:{HEALTH_PORT}/health")
    lines += ["tunnel A vpn1a vpn2a", "tunnel B vpn1b vpn2b", "pair A B"]
    for name, t in sorted(topo["tables"].items()):
        lines.append(f"route {t['id']} {t['destination']} {t['home']} {t['standby']}")
    path = os.path.join(WORK, "conf", "monitor.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_monitor(conf):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="stand", AWS_SECRET_ACCESS_KEY="stand")
    p = subprocess.Popen(["ip", "netns", "exec", "ha-mon", MONITOR, "run", "--config", conf], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs["monitor"] = p
    with open(os.path.join(WORK, "pids"), "a") as f:
        f.write(f"{p.pid}\n")
    out = open(os.path.join(WORK, "monitor.log"), "a")

    def reader():
        for line in p.stdout:
            t = time.time()
            out.write(f"{t:.3f} {line}")
            out.flush()
            with lock:
                log_lines.append((t, line))
    threading.Thread(target=reader, daemon=True).start()


def status():
    try:
        with open(os.path.join(WORK, "status.json")) as f:
            return json.load(f)["snapshot"]
    except (OSError, ValueError, KeyError):
        return None


def settled(topo):
    """Both tunnels up and every route home, read back (the monitor's status and the kernel mirror)."""
    s = status()
    if not s or s.get("isolated") or not all(t["status"] == "up" and t["routes"] == "home" for t in s["tunnels"]):
        return False
    return all(r["target"] == r["desired"] for r in s["routes"])


def wait_settled(topo, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if settled(topo):
            return True
        time.sleep(0.3)
    log(f"not settled after {timeout} s: {json.dumps(status())}")
    return False


def proxy_call(proxy, path, body=None):
    req = urllib.request.Request(proxy + path, data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        data = r.read()
    return json.loads(data) if body is None else data  # POSTs answer plain text


def writes_since(proxy, mark):
    """Route writes that reached moto since log entry `mark`, and the log's length now."""
    entries = proxy_call(proxy, "/_fault/log")
    return sum(1 for e in entries[mark:] if e["action"] in ("ReplaceRoute", "CreateRoute") and e["fault"] == "pass"), len(entries)


def throttled_since(proxy, mark):
    return sum(1 for e in proxy_call(proxy, "/_fault/log")[mark:] if e["fault"] == "throttle")


# --- measurements --------------------------------------------------------------------------------

STREAMS = {"a": ("10.1.10.10", "10.2.10.10", 7000), "b": ("10.1.11.10", "10.2.11.10", 7001)}


def start_streams():
    for z, (h1, h2, port) in STREAMS.items():
        spawn(f"s1{z}", "ha-h1", ["python3", os.path.join(HERE, "udpstream.py"), h1, h2, str(port), f"{WORK}/gaps-1{z}.txt"])
        spawn(f"s2{z}", "ha-h2", ["python3", os.path.join(HERE, "udpstream.py"), h2, h1, str(port), f"{WORK}/gaps-2{z}.txt"])


def longest_gap(zone, t0, t1):
    """Longest receive gap (either direction) of zone's stream that overlaps [t0, t1]."""
    best = 0.0
    for d in "12":
        try:
            rows = open(f"{WORK}/gaps-{d}{zone}.txt").read().split("\n")
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if len(f) == 3:
                a, b = float(f[0]), float(f[1])
                if b >= t0 and a <= t1:
                    best = max(best, b - a)
    return best


def verified_after(tunnel, t0, timeout):
    """When the monitor logged the tunnel's routes read back on standby targets, seconds after t0."""
    deadline = t0 + timeout
    pat = re.compile(rf"\b{tunnel}\b.*read back on standby")
    while True:
        with lock:
            hit = next((t for t, line in log_lines if t >= t0 and pat.search(line)), None)
        if hit:
            return hit - t0
        if time.time() > deadline:
            return None
        time.sleep(0.1)


def failovers():
    s = status()
    return s["failovers"] if s else 0


# --- faults ----------------------------------------------------------------------------------------

def udp_block(a, b, on):
    for src, dst in ((a, b), (b, a)):
        sh("ip", "-n", "ha-inet", "rule", "add" if on else "del", "from", PUB[src], "to", PUB[dst],
           "ipproto", "udp", "blackhole", "priority", "50")


def run():
    results = []
    moto_port, proxy_port = free_port(), free_port()
    spawn("moto", None, ["env", f"MOTO_RECORDER_FILEPATH={WORK}/moto_recording", "moto_server", "-H", "127.0.0.1",
                         "-p", str(moto_port)])
    moto = f"http://127.0.0.1:{moto_port}"
    wait_port("127.0.0.1", moto_port, "moto")
    topo = json.loads(sh("python3", os.path.join(ROOT, "scripts/lib/moto_seed.py"), moto))
    build_namespaces()
    spawn("proxy", None, ["python3", os.path.join(ROOT, "scripts/lib/ec2_fault_proxy.py"), str(proxy_port), moto,
                          "--host", AWS_IP])
    proxy = f"http://{AWS_IP}:{proxy_port}"
    wait_port(AWS_IP, proxy_port, "fault proxy")
    mirrors = Mirrors(moto, topo)
    mirrors.sync_routes()
    mirrors.start()
    for n in NAMES:
        start_instance_software(n)
    wait_tunnels()
    start_streams()
    conf = monitor_conf(topo, proxy)
    sh(MONITOR, "--check-config", "--config", conf)
    start_monitor(conf)
    if not wait_settled(topo, 90):
        raise RuntimeError("the monitor never showed both tunnels up and routes home")
    log("stand up: 4 tunnels' ends, streams, monitor settled")

    def failover_case(name, tunnel, inject, clear, settle=True):
        if not wait_settled(topo):
            log(f"{name}: starting unsettled")
        f0 = failovers()
        _, mark = writes_since(proxy, 0)
        t0 = time.time()
        inject()
        verified = verified_after(tunnel, t0, FAULT_SECONDS + 20)
        time.sleep(max(0.0, t0 + FAULT_SECONDS - time.time()))
        gap = longest_gap("a" if tunnel == "A" else "b", t0, time.time())
        clear()
        if settle:
            wait_settled(topo)
        writes, _ = writes_since(proxy, mark)
        row = {"fault": name, "tunnel": tunnel, "rep": rep, "failovers": failovers() - f0,
               "routes_verified_s": None if verified is None else round(verified, 2),
               "traffic_gap_s": round(gap, 2), "route_writes": writes, "throttled": throttled_since(proxy, mark),
               "load1": round(os.getloadavg()[0], 1)}
        log(json.dumps(row))
        results.append(row)
        return row

    def kill9(n):
        return lambda: os.kill(procs[f"d-{n}"].pid, signal.SIGKILL)

    rep = 0
    for rep in range(1, REPEAT + 1):
        log(f"failover fault list, round {rep} of {REPEAT}")
        fault_list(failover_case, kill9, proxy, moto, topo)
    rep = None

    # A link flapping every 2 s for 30 s: at most one failover, no failback while it flaps.
    wait_settled(topo)
    f0, t0 = failovers(), time.time()
    for k in range(15):
        link("ha-vpn1b", "pub0", "down" if k % 2 == 0 else "up")
        time.sleep(2)
    link("ha-vpn1b", "pub0", "up")
    sh("ip", "-n", "ha-vpn1b", "route", "replace", "default", "via", PUB_GW["vpn1b"])
    flap = failovers() - f0
    verified = verified_after("B", t0, 0.1)
    row = {"fault": "link flapping 2 s for 30 s (vpn1b)", "tunnel": "B", "failovers": flap,
           "routes_verified_s": None if verified is None else round(verified, 2),
           "traffic_gap_s": round(longest_gap("b", t0, time.time()), 2), "route_writes": None}
    wait_settled(topo, 150)
    log(json.dumps(row))
    results.append(row)

    def window(name, inject, clear, hold=15, after=12):
        """Route writes from the fault until, after the repair, both tunnels are up again and every route is home,
        read back (at least `after` s after the repair): a move made while recovering counts, and so would its
        failback."""
        wait_settled(topo)
        f0 = failovers()
        _, mark = writes_since(proxy, 0)
        inject()
        time.sleep(hold)
        clear()
        t_clear = time.time()
        time.sleep(after)
        settled_ok = wait_settled(topo)
        writes, _ = writes_since(proxy, mark)
        row = {"fault": name, "tunnel": "-", "failovers": failovers() - f0, "routes_verified_s": None,
               "traffic_gap_s": None, "route_writes": writes,
               "settled_after_repair_s": round(time.time() - t_clear, 1) if settled_ok else None}
        log(json.dumps(row))
        results.append(row)
        return writes

    both = window("both tunnels cut", lambda: (udp_block("vpn1a", "vpn2a", True), udp_block("vpn1b", "vpn2b", True)),
                  lambda: (udp_block("vpn1a", "vpn2a", False), udp_block("vpn1b", "vpn2b", False)))
    mon_links = ["aws0", "vr1", "vr2"]
    iso1 = window("monitor's own links cut (EC2 and VPCs)", lambda: [link("ha-mon", l, "down") for l in mon_links],
                  lambda: restore_mon_links())
    iso2 = window("monitor's VPC links cut (EC2 reachable)", lambda: [link("ha-mon", l, "down") for l in mon_links[1:]],
                  lambda: restore_mon_links())

    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print_summary(results, flap, both, iso1 + iso2)
    mirrors.stopped = True


def fault_list(failover_case, kill9, proxy, moto, topo):
    """The failover faults, one after the other (each injected, held FAULT_SECONDS, repaired, settled)."""
    failover_case("swvpnd kill -9 (vpn1a)", "A", kill9("vpn1a"), lambda: restart_daemon("vpn1a"))
    failover_case("swvpnd kill -9 (vpn1b)", "B", kill9("vpn1b"), lambda: restart_daemon("vpn1b"))
    failover_case("swvpnd SIGSTOP (vpn2a)", "A", lambda: os.kill(procs["d-vpn2a"].pid, signal.SIGSTOP),
                  lambda: os.kill(procs["d-vpn2a"].pid, signal.SIGCONT))
    failover_case("swvpnd SIGSTOP (vpn1b)", "B", lambda: os.kill(procs["d-vpn1b"].pid, signal.SIGSTOP),
                  lambda: os.kill(procs["d-vpn1b"].pid, signal.SIGCONT))
    failover_case("public link down (vpn1a)", "A", lambda: link("ha-vpn1a", "pub0", "down"),
                  lambda: (link("ha-vpn1a", "pub0", "up"),
                           sh("ip", "-n", "ha-vpn1a", "route", "replace", "default", "via", PUB_GW["vpn1a"])))
    failover_case("public link down (vpn2b, openvpn)", "B", lambda: link("ha-vpn2b", "pub0", "down"),
                  lambda: (link("ha-vpn2b", "pub0", "up"),
                           sh("ip", "-n", "ha-vpn2b", "route", "replace", "default", "via", PUB_GW["vpn2b"])))
    failover_case("UDP dropped, pair A only", "A", lambda: udp_block("vpn1a", "vpn2a", True),
                  lambda: udp_block("vpn1a", "vpn2a", False))
    failover_case("UDP dropped, pair B only", "B", lambda: udp_block("vpn1b", "vpn2b", True),
                  lambda: udp_block("vpn1b", "vpn2b", False))
    ec2 = ec2_client(moto)
    failover_case("StopInstances behind the monitor (vpn2a)", "A",
                  lambda: ec2.stop_instances(InstanceIds=[topo["instances"]["vpn2a"]["instanceId"]]), lambda: None)

    def throttled_kill():
        proxy_call(proxy, "/_fault", [{"fault": "throttle", "action": "ReplaceRoute", "count": 4},
                                      {"fault": "throttle", "action": "DescribeRouteTables", "count": 2}])
        kill9("vpn1a")()
    failover_case("throttling during a failover (kill -9 vpn1a)", "A", throttled_kill, lambda: restart_daemon("vpn1a"))
    failover_case("swvpnd kill -9 (vpn2a)", "A", kill9("vpn2a"), lambda: restart_daemon("vpn2a"))


def restore_mon_links():
    for l in ("aws0", "vr1", "vr2"):
        link("ha-mon", l, "up")
    for v in "12":
        sh("ip", "-n", "ha-mon", "route", "replace", f"10.{v}.0.0/16", "via", f"10.{v}.20.1")


def pct(values, digits=1):
    if not values:
        return "n/a", "n/a"
    return f"{statistics.median(values):.{digits}f}", f"{max(values):.{digits}f}"


def print_summary(results, flap, both, isolated):
    fo = [r for r in results if r["routes_verified_s"] is not None and not r["fault"].startswith("link flapping")]
    total = failovers_total()
    loads = [r["load1"] for r in results if r.get("load1") is not None]
    print(f"\nhealth: {HEALTH}; failover fault list x{REPEAT}; load average (1 min) at the faults: "
          f"min {min(loads, default=0):.1f} median {statistics.median(loads) if loads else 0:.1f} "
          f"max {max(loads, default=0):.1f} ({os.cpu_count()} CPUs)")
    print("\n| fault | tunnel | runs | failovers | routes verified p50 / max (s) | traffic gap p50 / max (s) "
          "| route writes | throttled calls |")
    print("|---|---|---|---|---|---|---|---|")
    names = []
    for r in results:
        if r["fault"] not in names:
            names.append(r["fault"])
    for name in names:
        rows = [r for r in results if r["fault"] == name]
        def both_stats(key):
            values = [r[key] for r in rows if r[key] is not None]
            return "-" if not values else "{} / {}".format(*pct(values, 2))
        def listed(key):
            values = [r.get(key) for r in rows]
            return "-" if all(v is None for v in values) else ", ".join("-" if v is None else str(v) for v in values)
        print(f"| {name} | {rows[0]['tunnel']} | {len(rows)} | {listed('failovers')} | {both_stats('routes_verified_s')}"
              f" | {both_stats('traffic_gap_s')} | {listed('route_writes')} | {listed('throttled')} |")
    rv50, rvmax = pct([r["routes_verified_s"] for r in fo])
    g50, gmax = pct([r["traffic_gap_s"] for r in fo])
    print(f"\nha: {total} failovers, routes verified p50 {rv50} s max {rvmax} s, traffic gap p50 {g50} s max {gmax} s, "
          f"flap-30s failovers {flap}, both-down writes {both}, isolated writes {isolated}", flush=True)


def failovers_total():
    s = status()
    return s["failovers"] if s else 0


def cleanup():
    for key in list(procs):
        stop(key)
    for ns in reversed(created_ns):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    try:
        run()
    finally:
        cleanup()
