#!/usr/bin/env python3
"""Turns one measurement of Benchmarks/e2e/run.sh into a JSON line (stdout). No judgement here."""
import json, os, platform, re, subprocess, sys


def pings(path):
    rtts = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"time=([0-9.]+) ms", line)
            if m:
                rtts.append(float(m.group(1)))
    return rtts


def test(pair, rep, name, jpath, pingpath, ticks, hz):
    out = {"kind": "test", "pair": pair, "rep": int(rep), "test": name, "cpu_s": int(ticks) / int(hz)}
    try:
        with open(jpath) as f:
            j = json.load(f)
        end = j["end"]
        if name.startswith("udp"):
            s = end["sum"]
            out.update(mbps=s["bits_per_second"] / 1e6 * (1 - s["lost_percent"] / 100),
                       offered_mbps=s["bits_per_second"] / 1e6, loss_pct=s["lost_percent"],
                       bytes=s["bytes"] * (1 - s["lost_percent"] / 100), jitter_ms=s.get("jitter_ms"))
        else:
            r = end["sum_received"]
            out.update(mbps=r["bits_per_second"] / 1e6, bytes=r["bytes"],
                       retransmits=end.get("sum_sent", {}).get("retransmits"))
        if out["bytes"] > 0:
            out["cpu_s_per_gb"] = out["cpu_s"] / (out["bytes"] / 1e9)
    except Exception as e:  # a failed iperf3 run is recorded as such, never fatal
        out["error"] = repr(e)
    r = pings(pingpath)
    if r:
        out["ping_load"] = r
    return out


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def meta(swvpnd, root, reps, duration, udp_rate, pairs):
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "openvpn": sh("openvpn --version | head -1"),
        "wireguard_go": sh(f"'{os.environ.get('WIREGUARD_GO', 'wireguard-go')}' --version | head -1"),
        "wireguard_go_bin": os.environ.get("WIREGUARD_GO", "wireguard-go (PATH)"),
        "wireguard_go_pkg": sh("dpkg-query -W -f='${Version}' wireguard-go"),
        "wg": sh("wg --version"),
        "iperf3": sh("iperf3 --version | head -1"),
        "openssl": sh("openssl version"),
        "swvpnd_rev": sh(f"git -C '{root}' rev-parse --short HEAD") + (" (dirty)" if sh(f"git -C '{root}' status --porcelain -- Sources Package.swift") else ""),
        "swvpnd_bin": swvpnd, "swift": sh("swift --version 2>&1 | head -1"),
        "reps": int(reps), "duration_s": int(duration), "udp_rate": udp_rate, "pairs": pairs.split(),
        "date_utc": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
    }


kind = sys.argv[1]
a = sys.argv[2:]
if kind == "test":
    print(json.dumps(test(*a)))
elif kind == "ping":
    print(json.dumps({"kind": "ping", "pair": a[0], "rep": int(a[1]), "test": a[2], "rtts": pings(a[3])}))
elif kind == "mem":
    m = {"kind": "mem", "pair": a[0], "rep": int(a[1]), "idle_rss_kb": int(a[2]), "peak_rss_kb": int(a[3])}
    if len(a) > 5:
        m.update(idle_anon_kb=int(a[4]), after_rss_kb=int(a[5]))
    print(json.dumps(m))
elif kind == "meta":
    print(json.dumps(meta(*a), indent=1))
