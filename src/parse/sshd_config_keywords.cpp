// The keywords OpenSSH 9.2p1's sshd (Debian 12 build: PAM, GSSAPI, Kerberos, its Debian patches)
// accepts, which of them may appear inside Match, and which it only logs as deprecated or
// unsupported. Established with the real sshd: each keyword written into a file for
// `sshd -T -f FILE` (none gives "Bad configuration option"), and again inside `Match User nobody`
// (the global-only ones give "Directive '...' is not allowed within a Match block").
#include <algorithm>

#include "nix_builder_doctor/parse/sshd_config.hpp"

namespace nbd::parse {

namespace {

using S = SshdKeywordStatus;

// Sorted by name.
constexpr SshdKeywordInfo kKeywords[] = {
    {"acceptenv", "acceptenv", true, S::active},
    {"addressfamily", "addressfamily", false, S::active},
    {"afstokenpassing", "afstokenpassing", false, S::unsupported},
    {"allowagentforwarding", "allowagentforwarding", true, S::active},
    {"allowgroups", "allowgroups", true, S::active},
    {"allowstreamlocalforwarding", "allowstreamlocalforwarding", true, S::active},
    {"allowtcpforwarding", "allowtcpforwarding", true, S::active},
    {"allowusers", "allowusers", true, S::active},
    {"authenticationmethods", "authenticationmethods", true, S::active},
    {"authorizedkeyscommand", "authorizedkeyscommand", true, S::active},
    {"authorizedkeyscommanduser", "authorizedkeyscommanduser", true, S::active},
    {"authorizedkeysfile", "authorizedkeysfile", true, S::active},
    {"authorizedkeysfile2", "authorizedkeysfile2", true, S::deprecated},
    {"authorizedprincipalscommand", "authorizedprincipalscommand", true, S::active},
    {"authorizedprincipalscommanduser", "authorizedprincipalscommanduser", true, S::active},
    {"authorizedprincipalsfile", "authorizedprincipalsfile", true, S::active},
    {"banner", "banner", true, S::active},
    {"casignaturealgorithms", "casignaturealgorithms", true, S::active},
    {"challengeresponseauthentication", "kbdinteractiveauthentication", true, S::active},
    {"channeltimeout", "channeltimeout", true, S::active},
    {"checkmail", "checkmail", false, S::deprecated},
    {"chrootdirectory", "chrootdirectory", true, S::active},
    {"ciphers", "ciphers", false, S::active},
    {"clientalivecountmax", "clientalivecountmax", true, S::active},
    {"clientaliveinterval", "clientaliveinterval", true, S::active},
    {"compression", "compression", false, S::active},
    {"debianbanner", "debianbanner", false, S::active},
    {"denygroups", "denygroups", true, S::active},
    {"denyusers", "denyusers", true, S::active},
    {"disableforwarding", "disableforwarding", true, S::active},
    {"dsaauthentication", "pubkeyauthentication", false, S::active},
    {"exposeauthinfo", "exposeauthinfo", true, S::active},
    {"fingerprinthash", "fingerprinthash", false, S::active},
    {"forcecommand", "forcecommand", true, S::active},
    {"gatewayports", "gatewayports", true, S::active},
    {"gssapiauthentication", "gssapiauthentication", true, S::active},
    {"gssapicleanupcredentials", "gssapicleanupcredentials", false, S::active},
    {"gssapicleanupcreds", "gssapicleanupcredentials", false, S::active},
    {"gssapikexalgorithms", "gssapikexalgorithms", false, S::active},
    {"gssapikeyexchange", "gssapikeyexchange", false, S::active},
    {"gssapistorecredentialsonrekey", "gssapistorecredentialsonrekey", false, S::active},
    {"gssapistrictacceptorcheck", "gssapistrictacceptorcheck", false, S::active},
    {"gssapiusesessioncredcache", "gssapiusesessioncredcache", false, S::unsupported},
    {"gssusesessionccache", "gssusesessionccache", false, S::unsupported},
    {"hostbasedacceptedalgorithms", "hostbasedacceptedalgorithms", true, S::active},
    {"hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms", true, S::active},
    {"hostbasedauthentication", "hostbasedauthentication", true, S::active},
    {"hostbasedusesnamefrompacketonly", "hostbasedusesnamefrompacketonly", true, S::active},
    {"hostcertificate", "hostcertificate", false, S::active},
    {"hostdsakey", "hostkey", false, S::active},
    {"hostkey", "hostkey", false, S::active},
    {"hostkeyagent", "hostkeyagent", false, S::active},
    {"hostkeyalgorithms", "hostkeyalgorithms", false, S::active},
    {"ignorerhosts", "ignorerhosts", true, S::active},
    {"ignoreuserknownhosts", "ignoreuserknownhosts", false, S::active},
    {"include", "include", true, S::active},
    {"ipqos", "ipqos", true, S::active},
    {"kbdinteractiveauthentication", "kbdinteractiveauthentication", true, S::active},
    {"keepalive", "tcpkeepalive", false, S::active},
    {"kerberosauthentication", "kerberosauthentication", true, S::active},
    {"kerberosgetafstoken", "kerberosgetafstoken", false, S::unsupported},
    {"kerberosorlocalpasswd", "kerberosorlocalpasswd", false, S::active},
    {"kerberostgtpassing", "kerberostgtpassing", false, S::unsupported},
    {"kerberosticketcleanup", "kerberosticketcleanup", false, S::active},
    {"kexalgorithms", "kexalgorithms", false, S::active},
    {"keyregenerationinterval", "keyregenerationinterval", false, S::deprecated},
    {"listenaddress", "listenaddress", false, S::active},
    {"logingracetime", "logingracetime", false, S::active},
    {"loglevel", "loglevel", true, S::active},
    {"logverbose", "logverbose", true, S::active},
    {"macs", "macs", false, S::active},
    {"match", "match", true, S::active},
    {"maxauthtries", "maxauthtries", true, S::active},
    {"maxsessions", "maxsessions", true, S::active},
    {"maxstartups", "maxstartups", false, S::active},
    {"modulifile", "modulifile", false, S::active},
    {"pamauthenticationviakbdint", "pamauthenticationviakbdint", false, S::deprecated},
    {"passwordauthentication", "passwordauthentication", true, S::active},
    {"permitblacklistedkeys", "permitblacklistedkeys", false, S::deprecated},
    {"permitemptypasswords", "permitemptypasswords", true, S::active},
    {"permitlisten", "permitlisten", true, S::active},
    {"permitopen", "permitopen", true, S::active},
    {"permitrootlogin", "permitrootlogin", true, S::active},
    {"permittty", "permittty", true, S::active},
    {"permittunnel", "permittunnel", true, S::active},
    {"permituserenvironment", "permituserenvironment", false, S::active},
    {"permituserrc", "permituserrc", true, S::active},
    {"persourcemaxstartups", "persourcemaxstartups", false, S::active},
    {"persourcenetblocksize", "persourcenetblocksize", false, S::active},
    {"pidfile", "pidfile", false, S::active},
    {"port", "port", false, S::active},
    {"printlastlog", "printlastlog", false, S::active},
    {"printmotd", "printmotd", false, S::active},
    {"protocol", "protocol", false, S::ignored},
    {"pubkeyacceptedalgorithms", "pubkeyacceptedalgorithms", true, S::active},
    {"pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms", true, S::active},
    {"pubkeyauthentication", "pubkeyauthentication", true, S::active},
    {"pubkeyauthoptions", "pubkeyauthoptions", true, S::active},
    {"rdomain", "rdomain", true, S::active},
    {"rekeylimit", "rekeylimit", true, S::active},
    {"requiredrsasize", "requiredrsasize", true, S::active},
    {"reversemappingcheck", "reversemappingcheck", false, S::deprecated},
    {"revokedkeys", "revokedkeys", true, S::active},
    {"rhostsauthentication", "rhostsauthentication", false, S::deprecated},
    {"rhostsrsaauthentication", "rhostsrsaauthentication", true, S::deprecated},
    {"rsaauthentication", "rsaauthentication", true, S::deprecated},
    {"securitykeyprovider", "securitykeyprovider", false, S::active},
    {"serverkeybits", "serverkeybits", false, S::deprecated},
    {"setenv", "setenv", true, S::active},
    {"skeyauthentication", "kbdinteractiveauthentication", true, S::active},
    {"streamlocalbindmask", "streamlocalbindmask", true, S::active},
    {"streamlocalbindunlink", "streamlocalbindunlink", true, S::active},
    {"strictmodes", "strictmodes", false, S::active},
    {"subsystem", "subsystem", false, S::active},
    {"syslogfacility", "syslogfacility", false, S::active},
    {"tcpkeepalive", "tcpkeepalive", false, S::active},
    {"trustedusercakeys", "trustedusercakeys", true, S::active},
    {"unusedconnectiontimeout", "unusedconnectiontimeout", true, S::active},
    {"usedns", "usedns", false, S::active},
    {"uselogin", "uselogin", false, S::deprecated},
    {"usepam", "usepam", false, S::active},
    {"useprivilegeseparation", "useprivilegeseparation", false, S::deprecated},
    {"verifyreversemapping", "verifyreversemapping", false, S::deprecated},
    {"versionaddendum", "versionaddendum", false, S::active},
    {"x11displayoffset", "x11displayoffset", true, S::active},
    {"x11forwarding", "x11forwarding", true, S::active},
    {"x11uselocalhost", "x11uselocalhost", true, S::active},
    {"xauthlocation", "xauthlocation", false, S::active},
};

}  // namespace

const SshdKeywordInfo* sshd_keyword_info(std::string_view lower_keyword) {
    const auto it = std::lower_bound(
        std::begin(kKeywords), std::end(kKeywords), lower_keyword,
        [](const SshdKeywordInfo& k, std::string_view word) { return k.name < word; });
    if (it == std::end(kKeywords) || it->name != lower_keyword) return nullptr;
    return &*it;
}

const std::vector<std::string>& sshd_keywords() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& k : kKeywords) out.emplace_back(k.name);
        return out;
    }();
    return names;
}

}  // namespace nbd::parse
