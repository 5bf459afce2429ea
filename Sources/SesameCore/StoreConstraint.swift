/// A schema rule a write broke, as a store names it; ``SesameError/init(violating:)`` turns it
/// into the error callers see, so that the messages are the same whatever the database.
public enum StoreConstraint: Sendable, Equatable, CaseIterable {
    /// A foreign key: the referenced domain, user or session does not exist.
    case foreignKey
    /// `domains.name` is UNIQUE.
    case domainName
    /// `users(domain_id, email)` is UNIQUE.
    case userEmail
    /// `users(domain_id, international_code, phone)` is UNIQUE.
    case userPhone
    /// `users(domain_id, username)` is UNIQUE.
    case userName
    /// `clients.client_id` is the primary key.
    case clientID
    /// Another UNIQUE constraint.
    case otherUnique
    /// A CHECK or NOT NULL constraint.
    case other
}

extension SesameError {
    /// The error for a write that broke `constraint`: it names the rule, never the SQL.
    ///
    /// - ``StoreConstraint/foreignKey``: ``Code/notFound``;
    /// - a UNIQUE constraint: ``Code/conflict``;
    /// - anything else: ``Code/invalidInput``.
    public init(violating constraint: StoreConstraint) {
        switch constraint {
        case .foreignKey: self.init(.notFound, "a referenced record does not exist")
        case .domainName: self.init(.conflict, "a domain with that name exists")
        case .userEmail: self.init(.conflict, "that e-mail is already registered in the domain")
        case .userPhone: self.init(.conflict, "that phone number is already registered in the domain")
        case .userName: self.init(.conflict, "that user name is taken in the domain")
        case .clientID: self.init(.conflict, "a client with that client_id exists")
        case .otherUnique: self.init(.conflict, "the record already exists")
        case .other: self.init(.invalidInput, "the record breaks a rule of the schema")
        }
    }
}
