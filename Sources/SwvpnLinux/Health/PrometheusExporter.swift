import Prometheus
import SwvpnHealth

/// `GET /metrics`: the snapshot's samples set into a swift-prometheus registry, which writes the
/// text exposition (HELP/TYPE lines, label escaping). The values live in the data plane's atomics;
/// the registry is only updated at scrape time, so the packet path never touches it.
/// Confined to the health queue.
final class PrometheusExporter: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let tunnel: String
    private var counters: [String: (counter: Counter, value: Int64)] = [:]
    private var gauges: [String: Gauge] = [:]

    init(tunnel: String) { self.tunnel = tunnel }

    func render(_ snapshot: TunnelSnapshot) -> String {
        var seen = Set<String>()
        for sample in snapshot.metricSamples {
            let labels = [("tunnel", tunnel)] + sample.labels
            let key = sample.name + labels.map { "\u{0}\($0.0)=\($0.1)" }.joined()
            // Our names are complete (`swvpnd_..._total`): no namespace or unit parts to join.
            let descriptor = MetricNameDescriptor(metricName: sample.name, unitName: "", helpText: sample.help)
            seen.insert(key)
            switch sample.kind {
            case .gauge:
                let gauge = gauges[key] ?? registry.makeGauge(descriptor: descriptor, labels: labels)
                gauges[key] = gauge
                gauge.set(sample.value)
            case .counter:
                let value = Int64(clamping: UInt64(max(sample.value, 0)))
                var entry = counters[key] ?? (registry.makeCounter(descriptor: descriptor, labels: labels), 0)
                if value < entry.value {  // the data plane was rebuilt (SIGHUP): a counter reset
                    entry.counter.reset()
                    entry.value = 0
                }
                entry.counter.increment(by: value - entry.value)
                entry.value = value
                counters[key] = entry
            }
        }
        // Samples that vanished (probe turned off, a value that became unknown) leave the exposition.
        for (key, gauge) in gauges where !seen.contains(key) {
            registry.unregisterGauge(gauge)
            gauges[key] = nil
        }
        for (key, entry) in counters where !seen.contains(key) {
            registry.unregisterCounter(entry.counter)
            counters[key] = nil
        }
        return registry.emitToString()
    }
}
