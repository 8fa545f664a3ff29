// Tests OAuth 1.0a signing (auth::OAuth1BaseString, auth::OAuth1Sign) against published
// examples: RFC 5849 section 3.4.1.1 (base string), RFC 5849 section 1.2 and OAuth Core 1.0
// appendix A.5 (photos.example.net), Twitter's "Creating a signature" page; and HMAC-SHA256
// against a value computed independently with the openssl command line.
#include <doctest/doctest.h>

#include "runtime/auth/auth.h"

using crmx::auth::OAuth1BaseString;
using crmx::auth::OAuth1Sign;

TEST_CASE("RFC 5849 3.4.1.1: base string with query, form body and repeated, encoded parameters") {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b, body c2&a3=2+q; realm is not signed.
  std::string base = OAuth1BaseString("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                                      {{"realm", "Example"},
                                       {"oauth_consumer_key", "9djdj82h48djs9d2"},
                                       {"oauth_token", "kkk9d7dh3k39sjv7"},
                                       {"oauth_signature_method", "HMAC-SHA1"},
                                       {"oauth_timestamp", "137131201"},
                                       {"oauth_nonce", "7d8f3e4a"},
                                       {"oauth_signature", "djosJKDKJSD8743243%2Fjdk33klY%3D"},
                                       {"c2", ""},
                                       {"a3", "2 q"}});
  CHECK(base ==
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
        "%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1"
        "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7");
}

TEST_CASE("RFC 5849 3.4.1.2: base string URI: lowercase scheme and host, default port dropped") {
  CHECK(OAuth1BaseString("get", "HTTP://EXAMPLE.COM:80/r%20v/X?id=123", {}) ==
        "GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D123");
  CHECK(OAuth1BaseString("GET", "https://www.example.net:8080/?q=1", {}) ==
        "GET&https%3A%2F%2Fwww.example.net%3A8080%2F&q%3D1");
  CHECK(OAuth1BaseString("GET", "https://www.example.net:443", {}) == "GET&https%3A%2F%2Fwww.example.net%2F&");
}

TEST_CASE("OAuth Core 1.0 appendix A.5: photos.example.net with HMAC-SHA1") {
  std::string base = OAuth1BaseString("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
                                      {{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                       {"oauth_token", "nnch734d00sl2jdk"},
                                       {"oauth_signature_method", "HMAC-SHA1"},
                                       {"oauth_timestamp", "1191242096"},
                                       {"oauth_nonce", "kllo9940pd9333jh"},
                                       {"oauth_version", "1.0"}});
  CHECK(base ==
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
        "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
        "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal");
  CHECK(OAuth1Sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", true) == "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
}

TEST_CASE("RFC 5849 1.2: photos.example.net with HMAC-SHA1") {
  std::string base = OAuth1BaseString("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
                                      {{"realm", "Photos"},
                                       {"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                       {"oauth_token", "nnch734d00sl2jdk"},
                                       {"oauth_signature_method", "HMAC-SHA1"},
                                       {"oauth_timestamp", "137131202"},
                                       {"oauth_nonce", "chapoH"}});
  CHECK(OAuth1Sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", true) == "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

TEST_CASE("Twitter's signature example: form body parameters and reserved characters") {
  std::string base =
      OAuth1BaseString("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                       {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
                        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
                        {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
                        {"oauth_signature_method", "HMAC-SHA1"},
                        {"oauth_timestamp", "1318622958"},
                        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
                        {"oauth_version", "1.0"}});
  CHECK(base ==
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
        "%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
        "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958"
        "%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
        "%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
  CHECK(OAuth1Sign(base, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
                   true) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
}

TEST_CASE("HMAC-SHA256 (NetSuite TBA) over a NetSuite REST request") {
  std::string base = OAuth1BaseString("GET",
                                      "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5",
                                      {{"oauth_consumer_key", "ck"},
                                       {"oauth_token", "tk"},
                                       {"oauth_signature_method", "HMAC-SHA256"},
                                       {"oauth_timestamp", "1508242306"},
                                       {"oauth_nonce", "fjaLirsIcCGVZWzBX0pg"},
                                       {"oauth_version", "1.0"}});
  CHECK(base ==
        "GET&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2Fcustomer"
        "&limit%3D5%26oauth_consumer_key%3Dck%26oauth_nonce%3DfjaLirsIcCGVZWzBX0pg%26oauth_signature_method"
        "%3DHMAC-SHA256%26oauth_timestamp%3D1508242306%26oauth_token%3Dtk%26oauth_version%3D1.0");
  // Computed at authoring time, independently of this code:
  //   printf '%s' "$BASE" | openssl dgst -sha256 -hmac 'consumer-secret&token-secret' -binary | base64
  // where $BASE is the base string above.
  CHECK(OAuth1Sign(base, "consumer-secret", "token-secret") == "E5fWDxOWSQZfMa6dS6CWrIz+Wu/VCiaK2Q8RIawKeZE=");
  // The key is enc(consumer secret) & enc(token secret).
  CHECK(OAuth1Sign(base, "consumer-secret", "token-secret") != OAuth1Sign(base, "token-secret", "consumer-secret"));
}
