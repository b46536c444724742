// The keywords OpenSSH 9.2p1 (Debian 12 build, with its GSSAPI and keepalive patches) ssh
// accepts in ssh_config. Checked by writing each one into a file for `ssh -G -F FILE h`: none of
// these gives "Bad configuration option".
#include <algorithm>

#include "nix_builder_doctor/parse/ssh_config.hpp"

namespace nbd::parse {

const std::vector<std::string>& ssh_client_keywords() {
    static const std::vector<std::string> keywords = {
        "addkeystoagent", "addressfamily", "afstokenpassing", "batchmode", "bindaddress",
        "bindinterface", "canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname",
        "canonicalizemaxdots", "canonicalizepermittedcnames", "casignaturealgorithms",
        "certificatefile", "challengeresponseauthentication", "checkhostip", "cipher", "ciphers",
        "clearallforwardings", "compression", "compressionlevel", "connectionattempts",
        "connecttimeout", "controlmaster", "controlpath", "controlpersist", "dsaauthentication",
        "dynamicforward", "enableescapecommandline", "enablesshkeysign", "escapechar",
        "exitonforwardfailure", "fallbacktorsh", "fingerprinthash", "forkafterauthentication",
        "forwardagent", "forwardx11", "forwardx11timeout", "forwardx11trusted", "gatewayports",
        "globalknownhostsfile", "globalknownhostsfile2", "gssapiauthentication",
        "gssapiclientidentity", "gssapidelegatecredentials", "gssapikexalgorithms",
        "gssapikeyexchange", "gssapirenewalforcesrekey", "gssapiserveridentity", "gssapitrustdns",
        "hashknownhosts", "host", "hostbasedacceptedalgorithms", "hostbasedauthentication",
        "hostbasedkeytypes", "hostkeyalgorithms", "hostkeyalias", "hostname", "identitiesonly",
        "identityagent", "identityfile", "identityfile2", "ignoreunknown", "include", "ipqos",
        "kbdinteractiveauthentication", "kbdinteractivedevices", "keepalive", "kerberosauthentication",
        "kerberostgtpassing", "kexalgorithms", "knownhostscommand", "localcommand", "localforward",
        "loglevel", "logverbose", "macs", "match", "nohostauthenticationforlocalhost",
        "numberofpasswordprompts", "passwordauthentication", "permitlocalcommand", "permitremoteopen",
        "pkcs11provider", "port", "preferredauthentications", "protocol", "protocolkeepalives",
        "proxycommand", "proxyjump", "proxyusefdpass", "pubkeyacceptedalgorithms",
        "pubkeyacceptedkeytypes", "pubkeyauthentication", "rekeylimit", "remotecommand",
        "remoteforward", "requesttty", "requiredrsasize", "revokedhostkeys", "rhostsauthentication",
        "rhostsrsaauthentication", "rsaauthentication", "securitykeyprovider", "sendenv",
        "serveralivecountmax", "serveraliveinterval", "sessiontype", "setenv", "setuptimeout",
        "skeyauthentication", "smartcarddevice", "stdinnull", "streamlocalbindmask",
        "streamlocalbindunlink", "stricthostkeychecking", "syslogfacility", "tcpkeepalive",
        "tisauthentication", "tunnel", "tunneldevice", "updatehostkeys", "useblacklistedkeys",
        "useprivilegedport", "user", "userknownhostsfile", "userknownhostsfile2", "useroaming",
        "usersh", "verifyhostkeydns", "visualhostkey", "xauthlocation",
    };
    return keywords;
}

bool is_ssh_client_keyword(std::string_view lower_keyword) {
    static const std::vector<std::string> sorted = [] {
        auto copy = ssh_client_keywords();
        std::sort(copy.begin(), copy.end());
        return copy;
    }();
    return std::binary_search(sorted.begin(), sorted.end(), lower_keyword,
                              [](std::string_view a, std::string_view b) { return a < b; });
}

}  // namespace nbd::parse
