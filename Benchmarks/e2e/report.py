#!/usr/bin/env python3
"""Medians over repetitions, ratios against openvpn<->openvpn, a markdown report and PNG charts.

    report.py RESULTS_DIR [--report REPORT.md --charts DIR]

Reads RESULTS_DIR/results.jsonl and meta.json (written by run.sh). The report keeps any text
below the line `<!-- manual -->` of an existing REPORT.md (profile analysis written by hand).
"""
import json, os, statistics, sys

BASE = "openvpn-openvpn"
TESTS = ["tcp1-fwd", "tcp1-rev", "tcp4-fwd", "tcp4-rev", "udp", "udp64"]
LABEL = {"swvpnd-swvpnd": "swvpnd↔swvpnd", "openvpn-openvpn": "openvpn↔openvpn",
         "swvpndplain-swvpndplain": "swvpnd↔swvpnd, offloads off",
         "swvpnd-openvpn": "swvpnd↔openvpn", "wg-wg": "wireguard-go↔wireguard-go"}


def pct(v, p):
    v = sorted(v)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load(d):
    rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl")) if l.strip()]
    meta = json.load(open(os.path.join(d, "meta.json")))
    return rows, meta


def summarize(rows, pairs):
    s = {}
    for p in pairs:
        r = {}
        for t in TESTS:
            tr = [x for x in rows if x["kind"] == "test" and x["pair"] == p and x["test"] == t]
            r[t + ".mbps"] = med([x.get("mbps") for x in tr])
            r[t + ".cpu"] = med([x.get("cpu_s_per_gb") for x in tr])
            if t.startswith("udp"):
                r[t + ".loss"] = med([x.get("loss_pct") for x in tr])
            if t == "tcp1-fwd":
                r["load.avg"] = med([statistics.mean(x["ping_load"]) for x in tr if x.get("ping_load")])
                r["load.p99"] = med([pct(x["ping_load"], 99) for x in tr if x.get("ping_load")])
        idle = [x for x in rows if x["kind"] == "ping" and x["pair"] == p and x["rtts"]]
        r["idle.avg"] = med([statistics.mean(x["rtts"]) for x in idle])
        r["idle.p99"] = med([pct(x["rtts"], 99) for x in idle])
        mem = [x for x in rows if x["kind"] == "mem" and x["pair"] == p]
        r["rss.idle"] = med([x["idle_rss_kb"] / 1024 for x in mem])
        r["rss.peak"] = med([x["peak_rss_kb"] / 1024 for x in mem])
        r["rss.anon"] = med([x["idle_anon_kb"] / 1024 for x in mem if "idle_anon_kb" in x])
        r["rss.after"] = med([x["after_rss_kb"] / 1024 for x in mem if "after_rss_kb" in x])
        r["n"] = len({x["rep"] for x in rows if x["pair"] == p})
        r["errors"] = sum(1 for x in rows if x["pair"] == p and x.get("error"))
        s[p] = r
    return s


COLS = [("tcp1-fwd.mbps", "TCP 1 →  Mbit/s"), ("tcp1-rev.mbps", "TCP 1 ←  Mbit/s"),
        ("tcp4-fwd.mbps", "TCP 4 →  Mbit/s"), ("tcp4-rev.mbps", "TCP 4 ←  Mbit/s"),
        ("udp.mbps", "UDP goodput Mbit/s"), ("udp.loss", "UDP loss %"),
        ("udp64.mbps", "UDP 64-byte received Mbit/s"), ("udp64.loss", "UDP 64-byte loss %"),
        ("tcp1-fwd.cpu", "CPU-s/GB TCP 1 →"), ("tcp4-fwd.cpu", "CPU-s/GB TCP 4 →"),
        ("idle.avg", "ping idle avg ms"), ("idle.p99", "ping idle p99 ms"),
        ("load.avg", "ping load avg ms"), ("load.p99", "ping load p99 ms"),
        ("rss.idle", "idle RSS MB"), ("rss.anon", "idle RSS anonymous MB"), ("rss.peak", "peak RSS MB"),
        ("rss.after", "RSS after the load MB")]


def fmt(v, nd=1):
    return "—" if v is None else (f"{v:.{nd}f}" if abs(v) < 100 else f"{v:.0f}")


def table(s, pairs, md):
    head = ["metric (median)"] + [LABEL.get(p, p) for p in pairs] + \
           [f"{LABEL.get(p, p)} ÷ openvpn" for p in pairs if p != BASE and BASE in s]
    lines = []
    for key, name in COLS:
        row = [name] + [fmt(s[p][key], 2 if "ping" in name or "loss" in name else 1) for p in pairs]
        for p in pairs:
            if p == BASE or BASE not in s:
                continue
            a, b = s[p][key], s[BASE][key]
            row.append("—" if a is None or not b else f"{a / b:.2f}×")
        lines.append(row)
    if md:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in lines]
        return "\n".join(out)
    w = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]
    return "\n".join("  ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
                     for r in [head] + lines)


def charts(s, pairs, d):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(d, exist_ok=True)
    names = [LABEL.get(p, p).replace("wireguard-go", "wg-go") for p in pairs]
    made = []
    specs = [("throughput.png", "Throughput through the tunnel (median Mbit/s)",
              ["tcp1-fwd.mbps", "tcp1-rev.mbps", "tcp4-fwd.mbps", "tcp4-rev.mbps", "udp.mbps"],
              ["TCP 1 →", "TCP 1 ←", "TCP 4 →", "TCP 4 ←", "UDP goodput"]),
             ("cpu-per-gb.png", "CPU-seconds per GB, both daemons (median, lower is better)",
              ["tcp1-fwd.cpu", "tcp4-fwd.cpu"], ["TCP 1 →", "TCP 4 →"]),
             ("latency.png", "Ping RTT through the tunnel (median ms)",
              ["idle.avg", "idle.p99", "load.avg", "load.p99"], ["idle avg", "idle p99", "load avg", "load p99"]),
             ("rss.png", "Daemon RSS (MB, larger end)", ["rss.idle", "rss.peak"], ["idle", "peak (VmHWM)"])]
    for fname, title, keys, labels in specs:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        width = 0.8 / len(pairs)
        for i, (p, n) in enumerate(zip(pairs, names)):
            vals = [s[p][k] or 0 for k in keys]
            xs = [j + i * width for j in range(len(keys))]
            bars = ax.bar(xs, vals, width, label=n)
            ax.bar_label(bars, fmt=lambda v: f"{v:.0f}" if v >= 10 else f"{v:.2f}", fontsize=7)
        ax.set_xticks([j + width * (len(pairs) - 1) / 2 for j in range(len(keys))], labels)
        ax.set_title(title)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(d, fname), dpi=100)
        plt.close(fig)
        made.append(fname)
    return made


def main():
    d = sys.argv[1]
    args = sys.argv[2:]
    report = args[args.index("--report") + 1] if "--report" in args else None
    chartdir = args[args.index("--charts") + 1] if "--charts" in args else None
    rows, meta = load(d)
    pairs = [p for p in meta["pairs"] if any(x["pair"] == p for x in rows)]
    s = summarize(rows, pairs)
    json.dump(s, open(os.path.join(d, "summary.json"), "w"), indent=1)
    print(table(s, pairs, md=False))
    errs = {p: s[p]["errors"] for p in pairs if s[p]["errors"]}
    if errs:
        print(f"failed measurements (left out of the medians): {errs}")
    if not report:
        return
    made = charts(s, pairs, chartdir) if chartdir else []
    manual = ""
    if os.path.exists(report):
        old = open(report).read()
        if "<!-- manual -->" in old:
            manual = old[old.index("<!-- manual -->"):]
    rel = os.path.relpath(chartdir, os.path.dirname(report)) if chartdir else ""
    m = meta
    out = [
        "# swvpnd end-to-end benchmark", "",
        f"Generated by `Benchmarks/e2e/report.py` from `{os.path.relpath(d, os.path.dirname(report))}` "
        f"({m['date_utc']}). Medians over {m['reps']} interleaved repetitions of every pair; "
        f"{m['duration_s']} s per iperf3 test. Measurements only: nothing here is asserted.", "",
        "## Command", "",
        "```",
        f"swift build -c release --product swvpnd        # in the repo root",
        f"sudo REPS={m['reps']} DURATION={m['duration_s']} UDP_RATE={m['udp_rate']} SWVPND_BIN=.build/release/swvpnd Benchmarks/e2e/run.sh",
        "sudo PROFILE=1 DURATION=10 SWVPND_BIN=.build/release/swvpnd Benchmarks/e2e/run.sh   # perf profile",
        "```", "",
        "## Machine and versions", "",
        f"- nproc {m['nproc']}, CPU {m['cpu']}, kernel {m['kernel']}",
        f"- load average at start (1/5/15 min): {' / '.join(m['loadavg_start'])}; at end: "
        f"{' / '.join(m.get('loadavg_end', ['?']))}",
        f"- {m['openvpn']}",
        (f"- {m['wireguard_go']} (Debian package {m['wireguard_go_pkg']}: the 2022 release, "
         f"without the 2023+ TUN TSO/GRO and UDP GSO/GRO offloads); {m['wg']}"
         if m.get("wireguard_go_bin", "wireguard-go (PATH)") == "wireguard-go (PATH)" else
         f"- {m['wireguard_go']}, built here from its public source, binary `WIREGUARD_GO={m['wireguard_go_bin']}`; "
         f"{m['wg']}"),
        f"- swvpnd git {m['swvpnd_rev']}, {m['swift']}",
        f"- {m['openssl']}; {m['iperf3']}", "",
        "## Set-up", "",
        "Two network namespaces joined by one veth pair (192.0.2.1 ↔ 192.0.2.2); tunnel 10.99.0.1 ↔ 10.99.0.2. "
        "Both tunnel ends, the iperf3 client (A) and server (B) share the 2 cores. openvpn and swvpnd: "
        "static key, `cipher AES-256-CBC`, `auth SHA256`, UDP, default MTU settings (tun-mtu 1500); "
        "wireguard-go: MTU 1420, ChaCha20-Poly1305. swvpnd↔openvpn runs swvpnd in A (sender for →) "
        "and openvpn in B. → is A to B, ← is iperf3 -R. UDP: iperf3 -u at the offered rate with 1200-byte "
        "datagrams, goodput = offered × (1 − loss). CPU-s/GB: utime+stime of both daemons from "
        "/proc/PID/stat over the test, divided by GB received (10⁹ bytes). Ping: 30 pings at 0.1 s idle; "
        "under load = pings at 0.1 s during the TCP 1 → test. RSS: VmRSS 2 s after start (idle) and "
        "VmHWM after all tests (peak), the larger of the two ends.", "",
        "## Results (medians)", "",
        table(s, pairs, md=True), "",
    ]
    if errs:
        out += [f"Failed measurements (left out of the medians): {errs}", ""]
    out += [f"![{f}]({rel}/{f})" for f in made] + [""]
    open(report, "w").write("\n".join(out) + "\n" + (manual or "<!-- manual -->\n"))
    print(f"wrote {report}" + (f" and {len(made)} charts in {chartdir}" if made else ""))


main()
