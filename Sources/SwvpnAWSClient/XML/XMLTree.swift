import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A small element tree built with XMLParser, keyed by *local* names: AWS answers errors without a
/// namespace, moto with one, and a prefix (`ec2:Code`) must not change what we match.
/// No external entities are resolved.
struct XMLTree: Sendable, Hashable {
    var name: String
    /// The element's own character data, whitespace-trimmed.
    var text: String
    var children: [XMLTree]

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// The text at a path of child names, e.g. `value("instanceState", "name")`.
    func value(_ path: String...) -> String? {
        var node = self
        for name in path {
            guard let next = node.child(name) else { return nil }
            node = next
        }
        return node.text
    }

    /// `…Set/item` children, AWS's list shape.
    func items(_ setName: String) -> [XMLTree] { child(setName)?.children("item") ?? [] }

    /// Parses `data`; nil when it is not well-formed XML.
    static func parse(_ data: Data) -> XMLTree? {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var texts: [String] = []
        var root: XMLTree?

        static func localName(_ name: String) -> String {
            name.lastIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            stack.append(XMLTree(name: Self.localName(elementName), text: "", children: []))
            texts.append("")
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !texts.isEmpty { texts[texts.count - 1] += string }
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?
        ) {
            guard var node = stack.popLast(), let text = texts.popLast() else { return }
            node.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        }
    }
}
