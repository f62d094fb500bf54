extension ConfigBuilder {
    /// openvpn's defaults of the IPv6 routes (`route-ipv6` lines and `redirect-gateway ipv6`'s): the
    /// gateway is `route-ipv6-gateway`, else the `ifconfig-ipv6` peer; the metric `route-metric`.
    /// A tap device needs a gateway for every route whose metric is not 0: openvpn warns and leaves
    /// such a route out at run time, so `--check-config` says so.
    func finishIPv6Routes(_ c: inout TunnelConfig) {
        let gateway = compat.routeIPv6Gateway ?? c.ifconfigIPv6?.remote
        for index in c.routesIPv6.indices {
            if c.routesIPv6[index].gateway == nil { c.routesIPv6[index].gateway = gateway }
            if c.routesIPv6[index].metric == nil { c.routesIPv6[index].metric = c.defaultRouteMetric }
            let route = c.routesIPv6[index]
            if c.deviceType == .tap, route.gateway == nil, route.metric != 0 {
                c.warnings.append(
                    ConfigDiagnostic(
                        route.location, directive: "route-ipv6",
                        "\(route.network)/\(route.prefixLength) has no gateway on a tap device and will not be installed "
                            + "(give one, or set route-ipv6-gateway or ifconfig-ipv6)"))
            }
        }
    }
}

extension TunnelConfig {
    /// `route-metric n` as openvpn applies it: 0 is the same as not given.
    var defaultRouteMetric: Int? { routeMetric == 0 ? nil : routeMetric }
}
