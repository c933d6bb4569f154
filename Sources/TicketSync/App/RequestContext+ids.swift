extension RequestContext {
    /// Every `…_id` path parameter that is a UUID, in one spelling (lower case) from here on: a UUID written in upper
    /// case names the same org, and what is keyed on its text — the associated data secrets are sealed with, audit
    /// rows, log lines — must not depend on how a client wrote it. Anything else is left for the route to refuse.
    func canonicalizeIDs() {
        for (name, value) in parameters where name.hasSuffix("_id") {
            if let canonical = UUIDText.canonical(value), canonical != value { parameters[name] = canonical }
        }
    }
}
