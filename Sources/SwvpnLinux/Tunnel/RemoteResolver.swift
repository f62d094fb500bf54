import Dispatch
import Glibc

/// Looks up `remote` names off the control queue: `getaddrinfo` blocks for as long as the system's
/// resolver takes. One lookup runs at a time on its own queue and at most one more waits (a newer
/// request replaces it), so a resolver that hangs holds up only later lookups, never the control
/// queue or the packet loops. Every request is answered on the caller's queue within its time limit,
/// as a failure if the lookup is still running then; an answer that comes later is dropped.
package final class RemoteResolver: @unchecked Sendable {  // `running`/`waiting`/`last`: reply queue only
    package typealias Answer = Result<SocketAddress, ResolutionError>
    package typealias Lookup = @Sendable (Request) throws(ResolutionError) -> SocketAddress

    package struct Request: Sendable {
        package let host: String
        package let port: UInt16
        package let family: SocketAddress.Family?
        package let stream: Bool
        package let answer: @Sendable (Answer) -> Void

        package init(
            host: String, port: UInt16, family: SocketAddress.Family?, stream: Bool,
            answer: @escaping @Sendable (Answer) -> Void
        ) {
            self.host = host
            self.port = port
            self.family = family
            self.stream = stream
            self.answer = answer
        }
    }

    /// Answered once: by the lookup or by the time limit, whichever comes first (reply queue only).
    private final class Ticket: @unchecked Sendable {
        let request: Request
        var answered = false

        init(_ request: Request) { self.request = request }

        func answer(_ answer: Answer) {
            guard !answered else { return }
            answered = true
            request.answer(answer)
        }
    }

    private let lookups = DispatchQueue(label: "swvpnd.resolve")
    private let lookup: Lookup
    private var running = false
    private var waiting: Ticket?
    private var last: (host: String, port: UInt16, address: SocketAddress)?

    /// The address `host` last resolved to (a SIGHUP rebuild starts from it instead of blocking).
    func lastAnswer(host: String, port: UInt16) -> SocketAddress? {
        guard let last, last.host == host, last.port == port else { return nil }
        return last.address
    }

    func remember(host: String, port: UInt16, _ address: SocketAddress) { last = (host, port, address) }

    /// `lookup`: getaddrinfo (tests pass one that blocks or fails on cue).
    package init(lookup: @escaping Lookup = RemoteResolver.getaddrinfo) { self.lookup = lookup }

    package static func getaddrinfo(_ request: Request) throws(ResolutionError) -> SocketAddress {
        try NameResolution.resolve(
            host: request.host, port: request.port, family: request.family, stream: request.stream)[0]
    }

    /// Call on `queue` (the control queue); `request.answer` runs there.
    package func resolve(_ request: Request, timeoutSeconds: Int, replyOn queue: DispatchQueue) {
        let ticket = Ticket(request)
        queue.asyncAfter(deadline: .now() + .seconds(timeoutSeconds)) {
            ticket.answer(
                .failure(
                    ResolutionError(
                        host: request.host, code: EAI_AGAIN, message: "no answer within \(timeoutSeconds) s")
                ))
        }
        if running {
            waiting = ticket
        } else {
            start(ticket, replyOn: queue)
        }
    }

    private func start(_ ticket: Ticket, replyOn queue: DispatchQueue) {
        running = true
        let request = ticket.request
        lookups.async { [self] in
            let answer: Answer
            do throws(ResolutionError) {
                answer = .success(try lookup(request))
            } catch {
                answer = .failure(error)
            }
            queue.async { [self] in
                running = false
                if case .success(let address) = answer { remember(host: request.host, port: request.port, address) }
                ticket.answer(answer)
                if let next = waiting {
                    waiting = nil
                    if !next.answered { start(next, replyOn: queue) }
                }
            }
        }
    }
}
