import Dispatch
import Glibc
import SwvpnLinux
import Synchronization
import Testing

/// `RemoteResolver` with a fake lookup: the control queue never waits for a lookup; one that hangs is
/// reported as failed at its limit, the next request waits behind it instead of piling up threads,
/// and the hanging lookup's late answer is dropped.
struct RemoteResolverTests {
    @Test func aHangingLookupFailsAtItsLimitAndTheNextOneWaitsBehindIt() {
        let release = DispatchSemaphore(value: 0)
        let calls = Mutex<[String]>([])
        let resolver = RemoteResolver { (request: RemoteResolver.Request) throws(ResolutionError) -> SocketAddress in
            calls.withLock { $0.append(request.host) }
            if request.host == "hangs.test" { release.wait() }
            if request.host == "missing.test" {
                throw ResolutionError(host: request.host, code: EAI_NONAME, message: "Name or service not known")
            }
            return SocketAddress(ipv4: 0xC000_0202, port: request.port)
        }
        let control = DispatchQueue(label: "test.control")
        let answers = Mutex<[String]>([])
        let answered = DispatchSemaphore(value: 0)
        func request(_ host: String) -> RemoteResolver.Request {
            RemoteResolver.Request(host: host, port: 1194, family: nil, stream: false) { answer in
                let text =
                    switch answer {
                    case .success(let address): "\(host): \(address)"
                    case .failure(let error): "\(host): \(error.message)"
                    }
                answers.withLock { $0.append(text) }
                answered.signal()
            }
        }

        control.sync {
            resolver.resolve(request("hangs.test"), timeoutSeconds: 1, replyOn: control)
            resolver.resolve(request("vpn.test"), timeoutSeconds: 60, replyOn: control)
        }
        #expect(answered.wait(timeout: .now() + 20) == .success)
        #expect(answers.withLock { $0 } == ["hangs.test: no answer within 1 s"])
        #expect(calls.withLock { $0 } == ["hangs.test"], "the second lookup did not wait for the first")

        release.signal()
        #expect(answered.wait(timeout: .now() + 20) == .success)
        control.sync {}
        #expect(answers.withLock { $0 } == ["hangs.test: no answer within 1 s", "vpn.test: 192.0.2.2:1194"])

        control.sync { resolver.resolve(request("missing.test"), timeoutSeconds: 60, replyOn: control) }
        #expect(answered.wait(timeout: .now() + 20) == .success)
        #expect(answers.withLock { $0.last } == "missing.test: Name or service not known")
        #expect(calls.withLock { $0 } == ["hangs.test", "vpn.test", "missing.test"])
    }
}
