// Defines test helpers for JWTs: a fresh RSA or EC test key (generated with OpenSSL at test
// time: no key is shipped), Base64url decoding and signature verification with OpenSSL,
// independent of runtime/auth's signing code.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

namespace crmx::testing {

struct TestKey {
  std::string private_pem;
  std::string public_pem;
};

inline TestKey PemOf(EVP_PKEY* key) {
  TestKey out;
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  out.private_pem.assign(data, static_cast<size_t>(n));
  n = BIO_get_mem_data(pub, &data);
  out.public_pem.assign(data, static_cast<size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

inline TestKey MakeRsaKey() { return PemOf(EVP_RSA_gen(2048)); }
inline TestKey MakeEcKey() { return PemOf(EVP_EC_gen("P-256")); }

inline std::string Base64UrlDecode(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  size_t pad = (4 - s.size() % 4) % 4;
  s.append(pad, '=');
  std::string out(s.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return "<invalid base64>";
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

inline std::vector<std::string> SplitJwt(const std::string& jwt) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = jwt.find('.'); dot != std::string::npos; dot = jwt.find('.', start)) {
    parts.push_back(jwt.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(jwt.substr(start));
  return parts;
}

// True when `jwt`'s signature verifies with `public_pem` under `alg` (RS256, PS256 with a
// 32-byte salt as RFC 7518 3.5 requires, ES256 with R || S).
inline bool VerifyJwt(const std::string& jwt, const std::string& alg, const std::string& public_pem) {
  auto parts = SplitJwt(jwt);
  if (parts.size() != 3) return false;
  std::string input = parts[0] + "." + parts[1];
  std::string signature = Base64UrlDecode(parts[2]);
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  if (alg == "ES256") {
    if (signature.size() != 64) {
      EVP_PKEY_free(key);
      return false;
    }
    ECDSA_SIG* sig = ECDSA_SIG_new();
    auto raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    signature.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key) == 1;
  if (ok && alg == "PS256") {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace crmx::testing
