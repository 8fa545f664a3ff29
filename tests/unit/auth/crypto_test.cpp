// Tests Base64 / Base64url (RFC 4648 section 10 vectors) and JWT signing (auth::SignJwt):
// signatures made with a key generated at test time are verified with OpenSSL directly.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/auth/auth.h"
#include "tests/unit/auth/jwt_check.h"

using crmx::auth::Base64;
using crmx::auth::Base64Url;
using crmx::auth::SignJwt;
using crmx::testing::Base64UrlDecode;
using crmx::testing::SplitJwt;
using crmx::testing::VerifyJwt;

TEST_CASE("Base64 and Base64url: RFC 4648 section 10 test vectors") {
  CHECK(Base64("") == "");
  CHECK(Base64("f") == "Zg==");
  CHECK(Base64("fo") == "Zm8=");
  CHECK(Base64("foo") == "Zm9v");
  CHECK(Base64("foob") == "Zm9vYg==");
  CHECK(Base64("fooba") == "Zm9vYmE=");
  CHECK(Base64("foobar") == "Zm9vYmFy");
  // Base64url drops the padding (RFC 7515 section 2).
  CHECK(Base64Url("") == "");
  CHECK(Base64Url("f") == "Zg");
  CHECK(Base64Url("fo") == "Zm8");
  CHECK(Base64Url("foo") == "Zm9v");
  CHECK(Base64Url("foob") == "Zm9vYg");
  CHECK(Base64Url("fooba") == "Zm9vYmE");
  CHECK(Base64Url("foobar") == "Zm9vYmFy");
  // The two characters that differ: '+' -> '-', '/' -> '_' (RFC 4648 section 5).
  CHECK(Base64(std::string("\xfb\xff\xbf", 3)) == "+/+/");
  CHECK(Base64Url(std::string("\xfb\xff\xbf", 3)) == "-_-_");
  CHECK(Base64Url(std::string("\x00\xff", 2)) == "AP8");
  // RFC 7515 appendix A.1: the JOSE header of the example, as bytes, and its encoding.
  CHECK(Base64Url("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}") == "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST_CASE("SignJwt: RS256 and PS256 signatures verify with OpenSSL; header and claims decode") {
  auto key = crmx::testing::MakeRsaKey();
  for (std::string alg : {"RS256", "PS256"}) {
    CAPTURE(alg);
    nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}, {"kid", "cert-1"}};
    nlohmann::json claims = {{"iss", "client-id"}, {"aud", "https://login.salesforce.com"}, {"exp", 1700000180}};
    std::string jwt;
    std::string error;
    REQUIRE(SignJwt(alg, header.dump(), claims.dump(), key.private_pem, jwt, error));
    CHECK(error.empty());
    auto parts = SplitJwt(jwt);
    REQUIRE(parts.size() == 3);
    CHECK(nlohmann::json::parse(Base64UrlDecode(parts[0])) == header);
    CHECK(nlohmann::json::parse(Base64UrlDecode(parts[1])) == claims);
    CHECK(Base64UrlDecode(parts[2]).size() == 256);
    CHECK(VerifyJwt(jwt, alg, key.public_pem));
    // A changed claim breaks the signature.
    std::string forged = parts[0] + "." + Base64Url(R"({"iss":"someone-else"})") + "." + parts[2];
    CHECK_FALSE(VerifyJwt(forged, alg, key.public_pem));
    // Another key does not verify it.
    CHECK_FALSE(VerifyJwt(jwt, alg, crmx::testing::MakeRsaKey().public_pem));
  }
  // RS256 is deterministic, PS256 is salted.
  std::string a;
  std::string b;
  std::string error;
  REQUIRE(SignJwt("RS256", "{}", "{}", key.private_pem, a, error));
  REQUIRE(SignJwt("RS256", "{}", "{}", key.private_pem, b, error));
  CHECK(a == b);
  REQUIRE(SignJwt("PS256", "{}", "{}", key.private_pem, a, error));
  REQUIRE(SignJwt("PS256", "{}", "{}", key.private_pem, b, error));
  CHECK(a != b);
  // RS256 and PS256 are not the same scheme.
  REQUIRE(SignJwt("RS256", "{}", "{}", key.private_pem, a, error));
  CHECK_FALSE(VerifyJwt(a, "PS256", key.public_pem));
}

TEST_CASE("SignJwt: ES256 gives a 64-byte R || S signature that verifies") {
  auto key = crmx::testing::MakeEcKey();
  std::string jwt;
  std::string error;
  REQUIRE(SignJwt("ES256", R"({"alg":"ES256","typ":"JWT"})", R"({"iss":"x"})", key.private_pem, jwt, error));
  CHECK(Base64UrlDecode(SplitJwt(jwt)[2]).size() == 64);
  CHECK(VerifyJwt(jwt, "ES256", key.public_pem));
}

TEST_CASE("SignJwt: a PEM without its final newline (as a file reference reads it) works") {
  auto key = crmx::testing::MakeRsaKey();
  std::string pem = key.private_pem;
  while (!pem.empty() && pem.back() == '\n') pem.pop_back();
  std::string jwt;
  std::string error;
  CHECK(SignJwt("RS256", "{}", "{}", pem, jwt, error));
}

TEST_CASE("SignJwt: bad keys and algorithms give errors that quote no key material") {
  auto rsa = crmx::testing::MakeRsaKey();
  auto ec = crmx::testing::MakeEcKey();
  std::string jwt;
  std::string error;
  CHECK_FALSE(SignJwt("RS256", "{}", "{}", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", jwt, error));
  CHECK(error.find("not a key") == std::string::npos);
  CHECK(error.find("PEM private key") != std::string::npos);
  CHECK_FALSE(SignJwt("HS256", "{}", "{}", rsa.private_pem, jwt, error));
  CHECK(error.find("HS256") != std::string::npos);
  CHECK_FALSE(SignJwt("ES256", "{}", "{}", rsa.private_pem, jwt, error));
  CHECK(error.find("EC key") != std::string::npos);
  CHECK_FALSE(SignJwt("PS256", "{}", "{}", ec.private_pem, jwt, error));
  CHECK(error.find("RSA key") != std::string::npos);
  CHECK(error.find("BEGIN") == std::string::npos);
}
