// Tests of OpenSSH public key parsing (src/parse/ssh_public_key*.cpp, ssh_wire.cpp).
//
// Verified against OpenSSH 9.2p1 (Debian 12) on throwaway keys generated for these tests only:
//   ssh-keygen -q -t ed25519 -N '' -C test-ed25519 -f ed25519
//   ssh-keygen -q -t rsa -b {1024,2048,3072,4096} -N '' -C test-rsa{bits} -f rsa{bits}
//   ssh-keygen -q -t ecdsa -b {256,384,521} -N '' -C test-ecdsa{bits} -f ecdsa{bits}
//   ssh-keygen -q -t dsa -N '' -C test-dsa -f dsa            (9.2 still generates DSA keys)
//   ssh-keygen -q -t ed25519 -N '' -C ca -f ca
//   ssh-keygen -s ca -I host-id -h -n builder,builder.example.com -V 20240101:20340101 -z 42
//   ed25519.pub ssh-keygen -s ca -I user-id -n nix,root -O force-command=/bin/true -O no-pty -z 7
//   user_ed.pub
// and `ssh-keygen -l -f X.pub` printed exactly the bits, fingerprint and (TYPE) in kFixtures
// below (e.g. "256 SHA256:ZNPAIVghs6+iJ4tMGplVTSANVBj90SnqqsT7pt4/PZ8 test-ed25519 (ED25519)";
// for the certificate "256 SHA256:ZNPAIV...PZ8 test-ed25519 (ED25519-CERT)": a certificate's
// fingerprint is its plain key's). All 22 .pub files of the session gave identical output from
// ssh-keygen -l and from parse_public_key_file.
// sk-* keys cannot be generated without a token, so they were crafted (string type, the ed25519 /
// nistp256 key above, string "ssh:") and `ssh-keygen -l` printed
//   256 SHA256:BD0OoEN45N0H0YYDjo054tSIVhxvodV18t75XmUYIU4 sk-test (ED25519-SK)
//   256 SHA256:ZvTXHk09iUk9K+j19F+bTIplgulvUi0HsfakqI4LgwQ sk-ec-test (ECDSA-SK)
// Rejections observed with `ssh-keygen -l`: the nistp256 key with its last byte flipped (point not
// on the curve) and the ed25519 blob with 4 extra bytes: "is not a public key file". A 768-bit
// RSA key: `ssh-keygen -y` says "Invalid key length". `rsa-sha2-512 <ssh-rsa blob>` is accepted
// ("1024 SHA256:RNy+... (RSA)"), and an RSA blob whose exponent has two extra leading zero bytes
// gets the canonical key's fingerprint.
#include "nix_builder_doctor/parse/ssh_public_key.hpp"

#include <gtest/gtest.h>

#include "nix_builder_doctor/parse/ssh_wire.hpp"

namespace nbd::parse {
namespace {

struct Fixture {
    const char* line;
    const char* type;
    const char* short_type;
    unsigned bits;
    const char* fingerprint;
    const char* comment;
};

// Throwaway public keys generated for this test (see the header comment).
const Fixture kFixtures[] = {
    {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3 "
     "test-ed25519",
     "ssh-ed25519", "ED25519", 256, "SHA256:ZNPAIVghs6+iJ4tMGplVTSANVBj90SnqqsT7pt4/PZ8",
     "test-ed25519"},
    {"ssh-rsa "
     "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCxCPed5uvUcPhx55WBbo2twWA5mIF+BKjmCDT3hdl/"
     "T6VBvIdAKefl9cDNQBP5UH/"
     "dMhxjd+0ffGVxd9MpxXU1vfVTHF1cjYMbNfbLP6kirmlWPJqWLy+LSDBUFDQgW9lDq1FEptpTUAOcHQuESReVhbqo8p0+"
     "cmx5oBSTbl0HyQ== test-rsa1024",
     "ssh-rsa", "RSA", 1024, "SHA256:RNy+/Drj3xeCCw6H2FJy9sWVbsubZCVHjzYinXg2TvI", "test-rsa1024"},
    {"ssh-rsa "
     "AAAAB3NzaC1yc2EAAAADAQABAAABAQC0m6MsGWRWBVZrW9d5KVHODwhF1U9v8G+eJet1OLa+"
     "2hLnLX55P8tFem7DreLJZSuP98M+"
     "DsNoT/doTZL45QPQJp2Lz5QzYqnd5/"
     "eN5iaToCqKTwiZ7I67PJe6HS3WOAMs+9LFZ2WmuHvzv9eB1HuQBlQvk3cXQY1fBFyLN6PdHVwL+"
     "whYGT3pDEqL3H/"
     "I4OysDYFNxjRv0pzfZZ5NV690aXMPlJqXvXKIHk3HntBLufoCHZNw8MsCzkmNu4r97enYeZnjhzG9xJ23/"
     "HlgvYeOb2mVufFSMk6zHFLbxVRplKnn08OW9qWklx9MpNMdL5pzySfxnMUIMvyjNThZXZUL test-rsa2048",
     "ssh-rsa", "RSA", 2048, "SHA256:ierKbt429ECB+FAc1uDO28Ag6MABSCX2el46XYcsQB0", "test-rsa2048"},
    {"ssh-rsa "
     "AAAAB3NzaC1yc2EAAAADAQABAAABgQCqYMjib9dPO7kF5xYWjQ1VI6M0XVhLObb+"
     "qHs9lJs1qkQ6ZTMP1XuVNt54KqdCDhiE6T+0/"
     "4HlcDlN3yLw8LRqVj0Zp08gNcQ13xegfIFm5vmpemt1a+1jVhFfTS3a+WIrMdDd1351/"
     "SKDOD4yR9rRQVsEQ1UocK4nX0nQNXZz3ajxwL/"
     "FHRwBBwCJytqREJqWSi4HsIPBs9NDzZo+wQNupaGj1Uq6wo3NtsqVtFCytkKznHJ0vFfsoN0L56doOaqM5/"
     "2zveKfFCg1e4pNcumI8yjARrmNK9MW"
     "TdUCor5IZOyAcJBvXCt7+ZyRdFwwBNBvTNXk3aFHoPvmly/"
     "7itoIrkEbhBQNvrjlxneMOH1ZwkavZIIJNy4UV95Gwq7qlDxpVemQmK4fp7Hinn7uP"
     "JQBd0dIiaaFNmvtO0sD1jMNwcC2/PYRa9saTcW/X/"
     "R2HN1Fb8StOcc5zIS+LI+mUXF3WMqnd0mjuN9jMDFnC1aGXtswZnpMmYT2EGue1AOeS1c= "
     "test-rsa3072",
     "ssh-rsa", "RSA", 3072, "SHA256:kThDZXkpf+P0AThXQkQ1KI9wCIzoPZ2rqNNdIcI6nYo", "test-rsa3072"},
    {"ssh-rsa "
     "AAAAB3NzaC1yc2EAAAADAQABAAACAQDXwi7msPHPT3WT6mLiia6N0sSTDn+s/X0IvDZOxy8/"
     "HUvbV7eH6uzPFJaN2S2pJ/"
     "fO2dFZZoyxkBQ0uRvThaqUWO7WsKRIRkrXYxihg1VYsOkR2KNCzGMHjUfiwwSJ8qz+"
     "jQSVHtjPuTtn7JYWi3me4Zr50aazh34VKMOG8drFvnoc2iL"
     "BgtvmiDby6gM0yvn71ZBbSU0fZCdx+3qwqZelNc4sdlljf0WO2o/9xcRNxs4IavzvO7Fwqg4XF/PAoZX/"
     "4xEVPPLogk9xTSs+ckNP/"
     "Y0oclpddnb4BNhYTZfjsLbb5NH310ZNl06pwwVAZdI6/NvV70LMRP+dDUon75xBpzyaCrOdN3IPsFUs93rYIwT9Z/"
     "4h04pUqsb5M8m2WXY5CgjTFr8"
     "w151iqGbcbscNidyVbXM+KDlV9i9DgUlyydM4Wr+nt0uK9/"
     "NyrbFCVJl0HlUfxgEV7v51kFrnTR73Oi6zs47s0Nz7CHpqHm7m5tLxETgEf8+i8M95gY"
     "Yhj4BKg00CgbzukGlvSFxYnDReU59TPoxBge6j48Y26uzifRuDVeb2k7oxMDDZn98WCTwSABzmtM825r2RXgNSS+6/9S/"
     "8okVC2SPZf3AShcUHkJ4MK"
     "bSTaYOVnyLzLXdrMzwu5OYZ/wZpJ28USrcNsgFUpE+c3t3abRhAQduYHyHWDQ== test-rsa4096",
     "ssh-rsa", "RSA", 4096, "SHA256:/AjtEKe7Q/0w55188TRyI67o0HzvCnAkiHEG/eTruj4", "test-rsa4096"},
    {"ecdsa-sha2-nistp256 "
     "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGAGRHZnMJl6IelgZWIVrIDC6+"
     "WMo30xsaOZoCEieJWVPGnNeWPLzFe7Zb3VrT0bmeGC5GIsdfmEdkjVKsthEXk= test-ecdsa256",
     "ecdsa-sha2-nistp256", "ECDSA", 256, "SHA256:Vl1aU+oZNamjYuh2ihhrxQFTokO9BaTVbf6HWOcEWwI",
     "test-ecdsa256"},
    {"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBMAZZcrUJo/"
     "4PXnom3ZPmoMcxvyAgOqPlJ9H2gJFbMQR6lGZgjZoPrxUOCuq+"
     "qdUjB2SqPFQvVznA4L0c8fVxBco7re21rrSqGoEnT6QAxQtl0uM6VDsB/"
     "spTVT1Nee7qA== test-ecdsa384",
     "ecdsa-sha2-nistp384", "ECDSA", 384, "SHA256:XI1Kzisz20hlJwcMOeCShqcjFv3WL9U/0nnWn8jpGSQ",
     "test-ecdsa384"},
    {"ecdsa-sha2-nistp521 "
     "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFFiueukrIEfyX8cmyUoFA5oRV/"
     "aOecSpnYGe66bq4HS2bRAOAfLOdSBRBU66/"
     "tbJJzTcdJl14IhTNliNgIVChL4gAZhUKAVLWlpDIylW22hhPpJHEtcoQA8nFS18ikQnBQij7rmeI5a"
     "IHsNxHb80JnyzMIEi4jFw2PDh0Nqdj14EeQOw== test-ecdsa521",
     "ecdsa-sha2-nistp521", "ECDSA", 521, "SHA256:4xDO66QXJSfx3jPNSrnqk6TVlUJxvWIKTbw81+UhknQ",
     "test-ecdsa521"},
    {"ssh-dss "
     "AAAAB3NzaC1kc3MAAACBAIVdEMo5DcEHrn1jPjL4rN+qu+7lNiZx5dFo+inVYvP946/1bnkVW7JvcTMC7d0DlK+"
     "bLj1UdNcKJiQEbkZNhEHfRKltM4Qguy8C7GSQerQtt5ZLoWcDLzqne05prVjOwNJhJqn8ha2sMRsWbERtRfHZQUgcIbJm"
     "4Lf/"
     "IW1OqwVvAAAAFQCS3QEMehpmKpEcVfLR4Bhs0gwftwAAAIBJPi0Xlzaixj1jF3HAxIuXiUQWoAErMCOR94iPcQAiWlF5T"
     "7fwr9J6Nma23+"
     "U6MbwGYbotnyXQdROjA3m+ByQtwXhrXJX+IS085gaiVkhWKIODEER/K/"
     "iOc33zvm2uVkEVVrZ8ojmrU7etdYV7fJ+rAVF6DdWi7g1FcbP+"
     "T2MoigAAAIB8EQWEncu26LC8xrmVAr+JF5qanYesEoZwyqPtd0TPos9lvd9vPQS9e6xsxSAbFcvK0mDTm9Zs/"
     "XrCgSgxngQUsAo0tWlRnKf68RGXk4c5FM2ML49s3W7Y0dJwNWkysDZhnOT+"
     "MMOoozRCCJjek9WtV2A9O5iU8YiyQCf5rmuURg== test-dsa",
     "ssh-dss", "DSA", 1024, "SHA256:gJdisllKFXzLmkyFAtGDKG9cEAHQIm225Yp5ULvxdL0", "test-dsa"},
    {"sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAINUC4fJo7zEzMmGnIf/"
     "oaiUKS2Ao4+G2tMAhIWenVNa3AAAABHNzaDo= sk-test",
     "sk-ssh-ed25519@openssh.com", "ED25519-SK", 256,
     "SHA256:BD0OoEN45N0H0YYDjo054tSIVhxvodV18t75XmUYIU4", "sk-test"},
    {"sk-ecdsa-sha2-nistp256@openssh.com "
     "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBGAGRH"
     "ZnMJl6IelgZWIVrIDC6+WMo30xsaOZoCEieJWVPGnNeWPLzFe7Zb3VrT0bmeGC5GIsdfmEdkjVKsthEXkAAAAEc3NoOg="
     "= sk-ec-test",
     "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", 256,
     "SHA256:ZvTXHk09iUk9K+j19F+bTIplgulvUi0HsfakqI4LgwQ", "sk-ec-test"},
};

// Host certificate of the ed25519 key above, signed by the throwaway "ca" key.
constexpr const char* kHostCert =
    "ssh-ed25519-cert-v01@openssh.com "
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAILwTEW8lrYfqqIsuJtAFdPskC0s+"
    "DTWT3mdrmjUCATi0AAAAINUC4fJo7zEzMm"
    "GnIf/"
    "oaiUKS2Ao4+"
    "G2tMAhIWenVNa3AAAAAAAAACoAAAACAAAAB2hvc3QtaWQAAAAiAAAAB2J1aWxkZXIAAAATYnVpbGRlci5leGFtcGxlLmNv"
    "bQAAA"
    "ABlkgCAAAAAAHhh+AAAAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIOvSpwxYWkUbWe6tvdkixM+"
    "DhZLGNrYQuRugoeHcCikWAAAAUwAA"
    "AAtzc2gtZWQyNTUxOQAAAEAsZP/CFEQjc8hed6eegbLWcAxQo60pWxKam8hSkn4ipoDUiPn+KR0c6i1TEMAtQ30Cojx/"
    "3gjQr4dBffhyHxAB "
    "test-ed25519";
// User certificate of the same key with force-command and the default extensions.
constexpr const char* kUserCert =
    "ssh-ed25519-cert-v01@openssh.com "
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIHeSqd57AvaNG92nxD0nCFx+E7NL1Mwu1sPxsr6hB+"
    "eAAAAAINUC4fJo7zEzMm"
    "GnIf/"
    "oaiUKS2Ao4+G2tMAhIWenVNa3AAAAAAAAAAcAAAABAAAAB3VzZXItaWQAAAAPAAAAA25peAAAAARyb290AAAAAAAAAAD//"
    "////////wAAACIAA"
    "AANZm9yY2UtY29tbWFuZAAAAA0AAAAJL2Jpbi90cnVlAAAAcAAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3B"
    "lcm1pdC1hZ2VudC1mb3J"
    "3YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAM"
    "wAAAAtzc2gtZWQyNTUxO"
    "QAAACDr0qcMWFpFG1nurb3ZIsTPg4WSxja2ELkboKHh3AopFgAAAFMAAAALc3NoLWVkMjU1MTkAAABATF7fsS0108tL1oh"
    "fDumk9kFVw5lRjqXRtYvg"
    "KNrCoXNf9G3y5VJlHOg0Rn01X5sY3IHjDeK50oVclC4Kq79eCw== test-ed25519";

constexpr const char* kEd25519Blob =
    "AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3";
constexpr const char* kEcdsa256Blob =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGAGRHZnMJl6IelgZWIVrIDC6+"
    "WMo30xsaOZoCEieJWVPGnNeWPLzFe7Zb3VrT0bmeGC5GIsdfmEdkjVKsthEXk=";

util::Bytes blob_of(const char* b64) { return *util::base64_decode(b64); }

std::string b64(const util::Bytes& bytes) { return util::base64_encode(bytes); }

util::Bytes wire(std::initializer_list<std::string_view> strings) {
    SshWriter w;
    for (auto s : strings) w.put_string(s);
    return w.take();
}

TEST(SshPublicKey, MatchesSshKeygenForEveryFixture) {
    for (const auto& f : kFixtures) {
        SCOPED_TRACE(f.type);
        const auto result = parse_public_key(f.line);
        ASSERT_TRUE(result) << result.error;
        EXPECT_EQ(result.key->type, f.type);
        EXPECT_EQ(result.key->short_type, f.short_type);
        EXPECT_EQ(result.key->bits, f.bits);
        EXPECT_EQ(result.key->fingerprint, f.fingerprint);
        EXPECT_EQ(result.key->comment, f.comment);
        EXPECT_FALSE(result.key->certificate);
        EXPECT_TRUE(result.key->refused_reason.empty());
        const std::string line = f.line;
        EXPECT_EQ(public_key_line(*result.key) + " " + f.comment, line);
    }
}

TEST(SshPublicKey, BlobAloneGivesTheSameKey) {
    for (const auto& f : kFixtures) {
        const auto line = parse_public_key(f.line);
        const auto blob = parse_public_key_blob(line.key->blob);
        ASSERT_TRUE(blob) << blob.error;
        EXPECT_EQ(blob.key->fingerprint, f.fingerprint);
        EXPECT_EQ(blob.key->comment, "");
        EXPECT_TRUE(same_public_key(*line.key, *blob.key));
    }
}

TEST(SshPublicKey, SecurityKeysCarryTheirApplication) {
    const auto key = parse_public_key(kFixtures[9].line);
    ASSERT_TRUE(key);
    EXPECT_EQ(key.key->sk_application, "ssh:");
    EXPECT_EQ(key.key->plain_type, "sk-ssh-ed25519@openssh.com");
}

TEST(SshPublicKey, HostCertificate) {
    const auto result = parse_public_key(kHostCert);
    ASSERT_TRUE(result) << result.error;
    const PublicKey& key = *result.key;
    EXPECT_EQ(key.type, "ssh-ed25519-cert-v01@openssh.com");
    EXPECT_EQ(key.plain_type, "ssh-ed25519");
    EXPECT_EQ(key.short_type, "ED25519-CERT");
    EXPECT_EQ(key.bits, 256u);
    // ssh-keygen -l prints the certified key's fingerprint.
    EXPECT_EQ(key.fingerprint, "SHA256:ZNPAIVghs6+iJ4tMGplVTSANVBj90SnqqsT7pt4/PZ8");
    ASSERT_TRUE(key.certificate);
    const Certificate& cert = *key.certificate;
    EXPECT_EQ(cert.cert_type, Certificate::kHost);
    EXPECT_EQ(cert.serial, 42u);
    EXPECT_EQ(cert.key_id, "host-id");
    EXPECT_EQ(cert.principals, (std::vector<std::string>{"builder", "builder.example.com"}));
    EXPECT_EQ(cert.valid_after, 1704067200u);   // 2024-01-01T00:00:00Z
    EXPECT_EQ(cert.valid_before, 2019686400u);  // 2034-01-01T00:00:00Z
    EXPECT_TRUE(cert.critical_options.empty());
    EXPECT_TRUE(cert.extensions.empty());
    EXPECT_EQ(cert.signature_key_type, "ssh-ed25519");
    EXPECT_EQ(cert.signature_key_fingerprint, "SHA256:wEjXmKYbjWqr0hTY9CtxQ+cqZRtMKTVrul7ZL1bgJAo");
    EXPECT_TRUE(same_public_key(key, *parse_public_key(kFixtures[0].line).key));
}

TEST(SshPublicKey, UserCertificate) {
    const auto result = parse_public_key(kUserCert);
    ASSERT_TRUE(result) << result.error;
    const Certificate& cert = *result.key->certificate;
    EXPECT_EQ(cert.cert_type, Certificate::kUser);
    EXPECT_EQ(cert.serial, 7u);
    EXPECT_EQ(cert.principals, (std::vector<std::string>{"nix", "root"}));
    EXPECT_EQ(cert.valid_before, UINT64_MAX);  // "Valid: forever"
    EXPECT_EQ(cert.critical_options, (std::vector<std::string>{"force-command"}));
    EXPECT_EQ(cert.extensions,
              (std::vector<std::string>{"permit-X11-forwarding", "permit-agent-forwarding",
                                        "permit-port-forwarding", "permit-user-rc"}));
}

TEST(SshPublicKey, SignatureAlgorithmNamesAreAcceptedForRsaKeys) {
    // sshkey_read accepts rsa-sha2-256/512 for an ssh-rsa blob; ssh-keygen -l prints (RSA).
    std::string line = kFixtures[1].line;
    line.replace(0, 7, "rsa-sha2-512");
    const auto result = parse_public_key(line);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.key->type, "ssh-rsa");
    EXPECT_EQ(result.key->fingerprint, kFixtures[1].fingerprint);
}

TEST(SshPublicKey, NonCanonicalMpintHasTheCanonicalFingerprint) {
    // The rsa1024 key with its exponent written as 00 00 01 00 01.
    const char* line =
        "ssh-rsa "
        "AAAAB3NzaC1yc2EAAAAFAAABAAEAAACBALEI953m69Rw+HHnlYFuja3BYDmYgX4EqOYINPeF2X9PpUG8h0Ap5+"
        "X1wM1AE/"
        "lQf90yHGN37R98ZXF30ynFdTW99VMcXVyNgxs19ss/"
        "qSKuaVY8mpYvL4tIMFQUNCBb2UOrUUSm2lNQA5wdC4RJF5WFuqjynT5ybHmgFJNuXQfJ "
        "noncanon";
    const auto result = parse_public_key(line);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.key->fingerprint, "SHA256:RNy+/Drj3xeCCw6H2FJy9sWVbsubZCVHjzYinXg2TvI");
}

TEST(SshPublicKey, WhitespaceAndCommentHandling) {
    const std::string line =
        std::string(" \tssh-ed25519\t ") + kEd25519Blob + "  user@host with spaces \r\n";
    const auto result = parse_public_key(line);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.key->comment, "user@host with spaces");
    EXPECT_EQ(parse_public_key(std::string("ssh-ed25519 ") + kEd25519Blob).key->comment, "");
}

TEST(SshPublicKey, UnknownTypeSuggestsTheNearest) {
    const auto result = parse_public_key(std::string("ssh-ed2519 ") + kEd25519Blob);
    EXPECT_FALSE(result);
    EXPECT_EQ(result.error, "unknown key type 'ssh-ed2519' (did you mean 'ssh-ed25519'?)");
    EXPECT_EQ(parse_public_key("frobnicate AAAA").error, "unknown key type 'frobnicate'");
}

TEST(SshPublicKey, MissingTypeIsExplained) {
    const auto result = parse_public_key(std::string(kEd25519Blob) + " comment");
    EXPECT_EQ(result.error,
              "the key type is missing: the first field is already the base64 blob of an "
              "ssh-ed25519 key");
}

TEST(SshPublicKey, Base64OfAWholeLineIsExplained) {
    // The common machines-file mistake decoded the other way round.
    const std::string whole =
        util::base64_encode(std::string("ssh-ed25519 ") + kEd25519Blob + "\n");
    EXPECT_EQ(parse_public_key(whole).error,
              "the field is base64 of a whole key line ('ssh-ed25519 AAAA...'); decode it first");
}

TEST(SshPublicKey, TypeWithoutKey) {
    EXPECT_EQ(parse_public_key("ssh-ed25519").error,
              "key type 'ssh-ed25519' is not followed by a key");
    EXPECT_EQ(parse_public_key("ssh-ed25519   ").error,
              "key type 'ssh-ed25519' is not followed by a key");
    EXPECT_EQ(parse_public_key("").error, "empty key line");
}

TEST(SshPublicKey, BadBase64) {
    EXPECT_EQ(parse_public_key("ssh-ed25519 AAAA*AAA").error, "invalid base64 in key");
    EXPECT_EQ(
        parse_public_key(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf_oaiUKS2Ao4+G2tMAhIWenVNa3")
            .error,
        "invalid base64 in key");
    // Cut in the middle of a 4-character group (a truncated copy).
    EXPECT_EQ(
        parse_public_key(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVN")
            .error,
        "invalid base64 in key: length 66 is not a multiple of 4 (truncated or wrapped key?)");
}

TEST(SshPublicKey, TruncatedBlob) {
    // Whole groups, but the key bytes end early.
    EXPECT_EQ(
        parse_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUK").error,
        "invalid key: key blob is truncated (in public key) (was the key cut off when copied?)");
}

TEST(SshPublicKey, TypeMismatch) {
    EXPECT_EQ(parse_public_key(std::string("ssh-rsa ") + kEd25519Blob).error,
              "key type mismatch: the line says ssh-rsa but the key blob is ssh-ed25519");
    EXPECT_EQ(parse_public_key(std::string("ecdsa-sha2-nistp384 ") + kEcdsa256Blob).error,
              "key type mismatch: the line says ecdsa-sha2-nistp384 but the key blob is "
              "ecdsa-sha2-nistp256");
}

TEST(SshPublicKey, TrailingBytesAreRejected) {
    auto blob = blob_of(kEd25519Blob);
    blob.insert(blob.end(), {0, 0, 0, 0});
    EXPECT_EQ(parse_public_key("ssh-ed25519 " + b64(blob)).error,
              "invalid key: 4 bytes of trailing data after the key in the blob");
}

TEST(SshPublicKey, EcdsaPointMustBeOnTheCurve) {
    auto blob = blob_of(kEcdsa256Blob);
    blob.back() ^= 1;
    EXPECT_EQ(parse_public_key("ecdsa-sha2-nistp256 " + b64(blob)).error,
              "invalid key: ECDSA public point is not on curve nistp256");
    auto compressed = wire({"ecdsa-sha2-nistp256", "nistp256"});
    SshWriter point;
    point.put_string(util::Bytes{0x02, 1, 2, 3});
    compressed.insert(compressed.end(), point.bytes().begin(), point.bytes().end());
    EXPECT_EQ(parse_public_key_blob(compressed).error,
              "ECDSA public point is not in uncompressed form");
    EXPECT_EQ(parse_public_key_blob(wire({"ecdsa-sha2-nistp256", "nistp384", "x"})).error,
              "ECDSA curve 'nistp384' in key blob does not match key type ecdsa-sha2-nistp256 "
              "(nistp256)");
}

TEST(SshPublicKey, Ed25519KeyMustBe32Bytes) {
    EXPECT_EQ(parse_public_key_blob(wire({"ssh-ed25519", "short"})).error,
              "public key in blob is 5 bytes, ssh-ed25519 needs 32");
}

TEST(SshPublicKey, RsaMpintChecks) {
    SshWriter negative;
    negative.put_string("ssh-rsa");
    negative.put_string(util::Bytes{0x80});
    EXPECT_EQ(parse_public_key_blob(negative.bytes()).error,
              "invalid RSA exponent in key blob: negative mpint");
    SshWriter huge;
    huge.put_string("ssh-rsa");
    huge.put_mpint(util::Bytes{1, 0, 1});
    huge.put_string(util::Bytes(16384 / 8 + 1, 0x7f));
    EXPECT_EQ(parse_public_key_blob(huge.bytes()).error,
              "invalid RSA modulus in key blob: mpint too large");
}

TEST(SshPublicKey, SmallRsaIsParsedButMarkedRefused) {
    SshWriter w;
    w.put_string("ssh-rsa");
    w.put_mpint(util::Bytes{1, 0, 1});
    w.put_mpint(util::Bytes(96, 0xff));  // 768 bits
    const auto result = parse_public_key_blob(w.bytes());
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.key->bits, 768u);
    EXPECT_EQ(result.key->refused_reason,
              "RSA key of 768 bits is below OpenSSH's minimum of 1024 bits (Invalid key length)");
}

TEST(SshPublicKey, BlobErrors) {
    EXPECT_EQ(parse_public_key_blob({}).error, "key blob is truncated (in key type)");
    EXPECT_EQ(parse_public_key_blob(wire({"ssh-foo", "x"})).error,
              "unknown key type 'ssh-foo' in key blob");
    EXPECT_EQ(parse_public_key_blob(util::Bytes{0, 0, 0, 5, 's', 's', 'h', 0, 'x'}).error,
              "invalid key type in key blob: string contains a NUL byte");
    EXPECT_EQ(parse_public_key_blob(util::Bytes{0xff, 0xff, 0xff, 0xff, 1}).error,
              "key blob is truncated (in key type)");
}

TEST(SshPublicKey, CertificateErrors) {
    auto blob = parse_public_key(kHostCert).key->blob;
    // The certificate type (uint32 after serial) is at a fixed offset: type(36) nonce(36) key(36)
    // serial(8).
    const std::size_t type_offset = 36 + 36 + 36 + 8;
    blob[type_offset + 3] = 3;
    EXPECT_EQ(parse_public_key_blob(blob).error,
              "unknown certificate type 3 (must be 1 user or 2 host)");
    auto truncated = parse_public_key(kHostCert).key->blob;
    truncated.resize(truncated.size() - 10);
    EXPECT_EQ(parse_public_key_blob(truncated).error, "key blob is truncated (in certificate)");
}

TEST(SshPublicKey, PublicKeyFileTakesTheFirstGoodLine) {
    const std::string text =
        std::string("# my key\n\nnot a key\n") + kFixtures[0].line + "\n" + kFixtures[1].line;
    const auto result = parse_public_key_file(text);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.key->type, "ssh-ed25519");
    EXPECT_EQ(parse_public_key_file("# only comments\n\n").error, "no public key in file");
    EXPECT_EQ(parse_public_key_file("garbage here\n").error, "unknown key type 'garbage'");
    EXPECT_EQ(parse_public_key_file("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n").error,
              "this is a private key, not a public key");
    EXPECT_EQ(parse_public_key_file("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n").error,
              "RFC 4716 (SSH2) public key: OpenSSH cannot read it; convert it with `ssh-keygen -i "
              "-f FILE`");
}

TEST(SshPublicKey, KeyTypeTable) {
    ASSERT_NE(find_key_type("ssh-ed25519"), nullptr);
    EXPECT_EQ(find_key_type("rsa-sha2-256")->canonical, "ssh-rsa");
    EXPECT_EQ(find_key_type("ecdsa-sha2-nistp521-cert-v01@openssh.com")->plain,
              "ecdsa-sha2-nistp521");
    EXPECT_EQ(find_key_type("ssh-mldsa44-ed25519@openssh.com")->short_name, "MLDSA44-ED25519");
    EXPECT_EQ(find_key_type("SSH-ED25519"), nullptr);
    for (const auto& info : key_types()) {
        EXPECT_NE(find_key_type(info.canonical), nullptr) << info.name;
        EXPECT_NE(find_key_type(info.plain), nullptr) << info.name;
    }
}

TEST(SshWire, ReaderBounds) {
    const util::Bytes data{0, 0, 0, 2, 'h', 'i', 0, 0, 0, 9};
    SshReader r(data);
    std::string s;
    EXPECT_TRUE(r.read_cstring(s));
    EXPECT_EQ(s, "hi");
    ByteSpan span;
    EXPECT_FALSE(r.read_string(span));
    EXPECT_EQ(r.error(), "truncated");
    std::uint32_t v = 0;
    EXPECT_FALSE(r.read_u32(v));  // stays failed
}

TEST(SshWire, MpintEncodingIsMinimal) {
    SshWriter w;
    w.put_mpint(util::Bytes{0, 0, 0x80});
    w.put_mpint(util::Bytes{0, 0});
    w.put_mpint(util::Bytes{0x7f});
    EXPECT_EQ(w.bytes(), (util::Bytes{0, 0, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}));
    EXPECT_EQ(bit_length(util::Bytes{0, 0x01, 0}), 9u);
    EXPECT_EQ(bit_length(util::Bytes{}), 0u);
}

TEST(SshPublicKey, HostileInputDoesNotCrash) {
    EXPECT_FALSE(parse_public_key(std::string(1 << 20, 'A')));
    EXPECT_FALSE(parse_public_key("ssh-rsa " + std::string(1 << 20, 'A')));
    EXPECT_FALSE(parse_public_key(std::string("ssh-ed25519 ") + std::string(1 << 20, '/')));
    EXPECT_FALSE(parse_public_key(std::string(1000, '\0')));
}

}  // namespace
}  // namespace nbd::parse
