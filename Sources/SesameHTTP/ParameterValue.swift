/// One request parameter as a dialect sees it.
public enum ParameterValue: Sendable, Equatable {
    /// A text value (JSON numbers arrive here as their decimal text).
    case text(String)
    /// Present but unusable: bad UTF-8 or percent-encoding, a JSON object, array or boolean.
    case invalid
}
