import SwvpnMonitorCore
import Testing

@Suite struct HealthWireTests {
    @Test func endpointFromURL() {
        let endpoint = HealthEndpoint.parse("http://10.0.0.5:9180/health")
        #expect(endpoint?.address.value == 0x0A00_0005 && endpoint?.port == 9180 && endpoint?.path == "/health")
        #expect(HealthEndpoint.parse("http://10.0.0.5")?.port == 80)
        #expect(HealthEndpoint.parse("http://10.0.0.5")?.path == "/")
        for bad in [
            "https://10.0.0.5/health", "http://vpn1a:9180/health", "http://10.0.0.5:0/", "http://10.0.0.5:99999/",
            "http://10.0.0.5/a b",
        ] {
            #expect(HealthEndpoint.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func requestIsOneHTTP10Get() {
        let request = String(
            decoding: HealthResponse.request(HealthEndpoint.parse("http://10.0.0.5:9180/health")!), as: UTF8.self)
        #expect(request.hasPrefix("GET /health HTTP/1.0\r\nHost: 10.0.0.5:9180\r\n"))
        #expect(request.hasSuffix("\r\n\r\n"))
    }

    @Test func responseStatusAndBody() {
        let ok = HealthResponse.parse(
            Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"state\":\"up\"}".utf8))
        #expect(ok?.status == 200)
        #expect(ok.map { String(decoding: $0.body, as: UTF8.self) } == "{\"state\":\"up\"}")
        #expect(HealthResponse.parse(Array("HTTP/1.0 503 Service Unavailable\r\n\r\n".utf8))?.status == 503)
        #expect(HealthResponse.parse(Array("HTTP/1.1 200 OK\r\nX: y\r\n".utf8)) == nil, "head not complete")
        #expect(HealthResponse.parse(Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8)) == nil)
    }
}
