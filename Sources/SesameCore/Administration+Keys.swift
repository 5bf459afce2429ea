extension Administration {
    /// Makes a new signing key of `algorithm` the one that signs, and retires the previous
    /// one, which keeps verifying until every token it signed has expired. Running servers pick
    /// the new key up at their next reload (``SigningKeyRing/reload()``).
    @discardableResult
    public func rotateSigningKey(algorithm: SigningAlgorithm) async throws -> SigningKeyRecord {
        let now = clock.unixNow()
        let key = try SigningKeyRecord.generate(algorithm, at: now)
        let retired = try await store.rotateSigningKey(to: key, at: now)
        try await store.recordAudit(
            AuditEvent(
                at: now, kind: .keyRotated,
                detail: "\(key.kid) \(key.algorithm)" + (retired.isEmpty ? "" : ", retired \(retired.joined(separator: " "))")))
        return key
    }

    /// Retires the active key `kid`: it stops signing and keeps verifying until every token it
    /// could have signed has expired. When it was the only active key, a new key of `algorithm`
    /// is made the signing key, and the signing key is returned.
    ///
    /// A running server that reloads its keys in between, and finds none active, makes one
    /// itself: then that key is returned (it is the signing key now), and no second one is made.
    ///
    /// - Throws: ``SesameError/Code/notFound`` when `kid` is not an active key.
    @discardableResult
    public func retireSigningKey(kid: String, replacementAlgorithm algorithm: SigningAlgorithm) async throws -> SigningKeyRecord? {
        let now = clock.unixNow()
        let othersActive = try await store.signingKeys().contains { $0.retiredAt == nil && $0.kid != kid }
        guard try await store.retireSigningKey(kid: kid, at: now) else {
            throw SesameError(.notFound, "no active signing key \(kid)")
        }
        try await store.recordAudit(AuditEvent(at: now, kind: .keyRetired, detail: kid))
        guard !othersActive else { return nil }
        let replacement = try SigningKeyRecord.generate(algorithm, at: now)
        try await store.insertSigningKeyIfNoneActive(replacement)
        // Newest first: the first active key is the one that signs.
        guard let signing = try await store.signingKeys().first(where: { $0.retiredAt == nil }) else {
            throw SesameError(.unavailable, "no active signing key after retiring \(kid)")
        }
        if signing.kid == replacement.kid {
            try await store.recordAudit(AuditEvent(at: now, kind: .keyRotated, detail: "\(replacement.kid) \(replacement.algorithm)"))
        }
        return signing
    }

    /// Seals every secret of the store with `newKEK` (from clear, or from the KEK the store was
    /// opened with). Returns the number of rows rewritten.
    @discardableResult
    public func rotateKEK(to newKEK: KeyEncryptionKey) async throws -> Int {
        let count = try await store.reseal(with: newKEK)
        try await store.recordAudit(AuditEvent(at: clock.unixNow(), kind: .kekRotated, detail: "now \(newKEK.id), \(count) rows"))
        return count
    }
}
