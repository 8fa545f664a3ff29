// Defines the cryptographic building blocks of auth.h on OpenSSL: Base64 and Base64url,
// JWS signing (RS256/384/512, PS256/384/512, ES256/384/512), HMAC for OAuth 1.0a, random nonces.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <chrono>
#include <memory>

#include "runtime/auth/internal.h"

namespace crmx::auth {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// An encrypted key must not make OpenSSL prompt on the terminal: refuse instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

struct Alg {
  const char* name;
  const EVP_MD* (*digest)();
  char family;       // 'R' RSASSA-PKCS1-v1_5, 'P' RSASSA-PSS, 'E' ECDSA
  int ec_coordinate;  // ECDSA: bytes per coordinate in the JWS signature (R || S)
};

const Alg kAlgs[] = {
    {"RS256", EVP_sha256, 'R', 0}, {"RS384", EVP_sha384, 'R', 0}, {"RS512", EVP_sha512, 'R', 0},
    {"PS256", EVP_sha256, 'P', 0}, {"PS384", EVP_sha384, 'P', 0}, {"PS512", EVP_sha512, 'P', 0},
    {"ES256", EVP_sha256, 'E', 32}, {"ES384", EVP_sha384, 'E', 48}, {"ES512", EVP_sha512, 'E', 66},
};

}  // namespace

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64Url(std::string_view bytes) {
  std::string out = Base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

bool SignJwt(const std::string& alg, const std::string& header_json, const std::string& claims_json,
             const std::string& private_key_pem, std::string& jwt, std::string& error) {
  const Alg* spec = nullptr;
  for (const Alg& a : kAlgs) {
    if (alg == a.name) spec = &a;
  }
  if (spec == nullptr) {
    error = "JWT algorithm `" + alg + "` is not supported (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512)";
    return false;
  }
  // PEM text from a file reference lost its final newline: give it back.
  std::string pem = private_key_pem;
  if (!pem.empty() && pem.back() != '\n') pem += '\n';
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!key) {
    error = "the private key is not an unencrypted PEM private key";
    return false;
  }
  int type = EVP_PKEY_get_base_id(key.get());
  bool rsa = type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS;
  if ((spec->family == 'E') != (type == EVP_PKEY_EC) || (spec->family != 'E' && !rsa)) {
    error = std::string("the private key does not fit JWT algorithm ") + spec->name +
            (spec->family == 'E' ? " (an EC key is needed)" : " (an RSA key is needed)");
    return false;
  }
  std::string input = Base64Url(header_json) + "." + Base64Url(claims_json);
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, spec->digest(), nullptr, key.get()) != 1) {
    error = "cannot start signing the JWT";
    return false;
  }
  if (spec->family == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    error = "cannot set RSA-PSS padding for the JWT";
    return false;
  }
  size_t size = 0;
  auto data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1) {
    error = "cannot sign the JWT";
    return false;
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data, input.size()) != 1) {
    error = "cannot sign the JWT";
    return false;
  }
  signature.resize(size);
  if (spec->family == 'E') {
    // OpenSSL gives DER; JWS wants the two coordinates, fixed width, back to back (RFC 7518 3.4).
    auto der = reinterpret_cast<const unsigned char*>(signature.data());
    EcSig sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
    if (!sig) {
      error = "cannot convert the ECDSA signature";
      return false;
    }
    std::string raw(2 * static_cast<size_t>(spec->ec_coordinate), '\0');
    auto out = reinterpret_cast<unsigned char*>(raw.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, spec->ec_coordinate) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + spec->ec_coordinate, spec->ec_coordinate) < 0) {
      error = "the EC key does not fit JWT algorithm " + alg;
      return false;
    }
    signature = raw;
  }
  jwt = input + "." + Base64Url(signature);
  return true;
}

std::string HmacBase64(std::string_view key, std::string_view data, bool sha1) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(sha1 ? EVP_sha1() : EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return Base64(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string OAuth1Sign(const std::string& base_string, const std::string& consumer_secret,
                       const std::string& token_secret, bool sha1) {
  return HmacBase64(http::UrlEncode(consumer_secret) + "&" + http::UrlEncode(token_secret), base_string, sha1);
}

std::string RandomAlnum(size_t length) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < length) {
    unsigned char bytes[64];
    if (RAND_bytes(bytes, sizeof bytes) != 1) continue;
    for (unsigned char b : bytes) {
      // 248 = 4 * 62: no bias towards the first letters.
      if (b < 248 && out.size() < length) out += kChars[b % 62];
    }
  }
  return out;
}

namespace internal {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string AuthValue(const profile::Auth& auth, const std::string& name) {
  if (const profile::Secret* secret = auth.FindSecret(name)) return secret->Reveal();
  return auth.Param(name);
}

}  // namespace internal
}  // namespace crmx::auth
