extension Router {
    /// The path as the access line writes it. A connection's inbound URL carries its secret token in the path: its
    /// line shows the route template (`/api/v1/ticket-sync/hooks/{inbound_token}`) instead, and so does a path that
    /// merely starts like one (a GET answered 405, an extra segment answered 404). Other paths are written as they
    /// came, org and request ids included, which the log is read for.
    public func loggedPath(_ path: String, route index: Int?) -> String {
        if let index, routes.indices.contains(index) {
            let route = routes[index]
            guard case .connectionHook = route.access else { return path }
            return route.pattern
        }
        let segments = Self.split(path)
        for route in routes {
            guard case .connectionHook = route.access,
                let secret = route.literals.firstIndex(where: { $0 == nil }), segments.count > secret,
                zip(route.literals[..<secret], segments).allSatisfy({ literal, segment in
                    literal?.elementsEqual(segment.utf8) ?? true
                })
            else { continue }
            var logged = segments
            logged[secret] = route.segments[secret]
            return "/" + logged.joined(separator: "/")
        }
        return path
    }

    /// The template of the route that answered, for structured log lines; nil when none matched.
    public func pattern(of index: Int?) -> String? {
        guard let index, routes.indices.contains(index) else { return nil }
        return routes[index].pattern
    }
}
