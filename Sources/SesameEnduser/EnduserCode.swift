/// Family A's `code` values that Sesame answers with (FAMILIES.md; the platform's
/// `errorCode.md`), each with the platform's own message.
public struct EnduserCode: Sendable, Equatable {
    public let code: Int
    public let message: String

    init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    public static let success = EnduserCode(200, "")
    public static let serviceError = EnduserCode(5000, "服务异常")
    public static let phoneNotRegistered = EnduserCode(5004, "手机号未注册")
    public static let domainMalformed = EnduserCode(5013, "用户域格式不正确")
    public static let domainUnknown = EnduserCode(5015, "用户域不存在")
    public static let phoneMalformed = EnduserCode(5019, "手机号格式不正确")
    public static let phoneMissing = EnduserCode(5021, "请输入手机号码")
    public static let passwordMissing = EnduserCode(5022, "请输入密码")
    public static let domainMissing = EnduserCode(5023, "请输入用户域")
    public static let emailMissing = EnduserCode(5026, "请输入邮箱")
    public static let emailNotRegistered = EnduserCode(5031, "邮箱未注册")
    public static let tokenInvalid = EnduserCode(5032, "token 验证失败")
    public static let userUnavailable = EnduserCode(5033, "用户不存在")
    public static let emailMalformed = EnduserCode(5040, "邮箱格式不正确")
    public static let passwordFormat = EnduserCode(5056, "密码格式不正确，请输入 6-20 位字母、数字或特殊字符")
    public static let domainDisabled = EnduserCode(5104, "用户域已停用")
    public static let tokenMissing = EnduserCode(5106, "请输入token")
    public static let refreshTokenMissing = EnduserCode(5115, "请输入刷新 token")
    public static let frozen = EnduserCode(5147, "账号被冻结，请20分钟后再登录")
    /// Too many failed logins or refreshes from the client's address (the family's "blocked for
    /// abnormal behaviour"); the HTTP `Retry-After` header says when to try again.
    public static let blocked = EnduserCode(5325, "检测到异常行为，已被限制访问，请稍后再试")
    public static let signatureWrong = EnduserCode(5420, "签名验证失败")
    public static let signatureMissing = EnduserCode(5550, "请输入签名")
    /// Not a code of the family's table: a path under the dialect that does not exist.
    public static let notFound = EnduserCode(404, "接口不存在")
    /// Not a code of the family's table: a method the path does not serve.
    public static let methodNotAllowed = EnduserCode(405, "请求方式不支持")
    /// Not a code of the family's table: the request's body could not be read (broken framing).
    public static let badRequest = EnduserCode(400, "请求格式错误")
    /// Not a code of the family's table: the request body is over the configured limit.
    public static let tooLarge = EnduserCode(413, "请求体过大")

    /// 5586..5583: wrong e-mail or password with `left` (4...1) tries left.
    public static func wrongEmailOrPassword(left: Int) -> EnduserCode {
        let n = min(max(left, 1), 4)
        return EnduserCode(5582 + n, "邮箱或密码错误，您还有\(n)次机会")
    }

    /// 5582..5579: wrong phone or password with `left` (4...1) tries left.
    public static func wrongPhoneOrPassword(left: Int) -> EnduserCode {
        let n = min(max(left, 1), 4)
        return EnduserCode(5578 + n, "手机号或密码错误，您还有\(n)次机会")
    }
}
