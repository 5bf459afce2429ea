import SesameCore

/// `userInfo`'s `data`, with the family's field names (including `nikeName`). Fields Sesame
/// does not keep are `""` or `0`. Times: `registerTime`/`lastLoginTime` in Unix
/// milliseconds, `registerTimeTs`/`lastLoginTimeTs` in Unix seconds.
struct EnduserUserInfo: Encodable {
    var uid: String
    var email: String
    var phone: String
    var nikeName: String
    var status: Int
    var registerTime: Int64
    var registerTimeTs: Int64
    var lastLoginTime: Int64
    var lastLoginTimeTs: Int64
    var lang = ""
    var timezone = ""
    var nationality = ""
    var headimg = ""
    var sex = ""
    var signature = ""
    var remark = ""
    var address = ""
    var city = ""
    var province = ""
    var logonMode = 0
    var appleUserId = ""
    var alipayUserId = ""
    var facebookUserId = ""
    var qqUserId = ""
    var twitterUserId = ""
    var wechatUnionId = ""
    var wechatMiniprogramUserId = ""
    var wechatOffiaccountUserId = ""

    init(_ user: User) {
        uid = user.uid
        email = user.email ?? ""
        phone = user.phone ?? ""
        nikeName = user.nickname ?? ""
        status = user.enabled ? 1 : 0
        registerTime = user.registeredAt * 1000
        registerTimeTs = user.registeredAt
        lastLoginTime = (user.lastLoginAt ?? 0) * 1000
        lastLoginTimeTs = user.lastLoginAt ?? 0
    }
}
