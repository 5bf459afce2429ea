import SesameCore

/// The newcomer's demo: a domain, a user and a public oauth client to log in with, and the
/// `curl` commands to do it.
///
/// - Warning: The demo password is printed and fixed. Never run `--demo` on a store that
///   real users log in to.
public struct DemoSeed: Sendable {
    /// The demo domain (the kanfang domain, so one user serves both dialects).
    public let domain: UserDomain

    public static let email = "demo@example.com"
    public static let phone = "13800000000"
    public static let username = "demo"
    public static let password = "demo-pass-1"
    /// A public oauth client of the demo domain.
    public static let clientID = "demo-app"

    /// Ensures the demo domain and user exist.
    public static func ensure(service: TokenService) async throws -> DemoSeed {
        let admin = Administration(store: service.store, clock: service.clock, hasher: service.hasher)
        let domainName = service.configuration.kanfangDomain
        let domain: UserDomain
        if let existing = try await service.store.domain(named: domainName) {
            domain = existing
        } else {
            domain = try await admin.addDomain(name: domainName, secret: RandomToken.make(byteCount: 24))
        }
        if try await service.store.findUser(domainID: domain.id, identifier: .email(email)) == nil {
            _ = try await admin.addUser(
                .init(domain: domainName, email: email, phone: phone, username: username, nickname: "Demo", password: password))
        }
        if try await service.store.client(id: clientID) == nil {
            try await admin.addClient(id: clientID, domain: domainName, secret: nil)
        }
        return DemoSeed(domain: domain)
    }

    /// The commands to paste, for a server at `baseURL`.
    public func instructions(baseURL: String) -> String {
        let email = Self.email, username = Self.username, password = Self.password, domainName = domain.name
        let signature = RequestSignature.expected([email, password, ""], secret: domain.secret)
        let e = "\(baseURL)/v2/enduser/enduserapi"
        let k = "\(baseURL)/v2/Authorization"
        let o = "\(baseURL)/oauth"
        let client = Self.clientID
        return """
            Demo mode: domain '\(domainName)', user \(email) / \(username), password '\(password)'.

            # enduser (family A): log in, then refresh with the refreshToken.token you got back
            curl -s -X POST '\(e)/emailPwdLogin' -d 'email=\(email)' -d 'pwd=\(password)' -d 'userDomain=\(domainName)' -d 'signature=\(signature)'
            curl -s -X PUT '\(e)/refreshToken' --data-urlencode 'refreshToken=PASTE_REFRESH_TOKEN'
            curl -s '\(e)/userInfo' -H 'Authorization: Bearer PASTE_ACCESS_TOKEN'

            # kanfang (family B): log in, then refresh with the refreshToken you got back
            curl -s '\(k)/GetAccessToken?authKey=\(username)&authValue=\(password)'
            curl -s '\(k)/RefreshToken?authKey=\(username)&authValue=\(password)' -H 'Authorization: PASTE_REFRESH_TOKEN'

            # oauth (public client '\(client)'): password grant, refresh, then the user's profile
            curl -s -X POST '\(o)/token' -d grant_type=password -d client_id=\(client) -d username=\(username) -d password=\(password)
            curl -s -X POST '\(o)/token' -d grant_type=refresh_token -d client_id=\(client) --data-urlencode 'refresh_token=PASTE_REFRESH_TOKEN'
            curl -s '\(o)/userinfo' -H 'Authorization: Bearer PASTE_ACCESS_TOKEN'
            """
    }
}
