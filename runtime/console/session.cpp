// Defines the console's logins and sessions (session.h).
#include "runtime/console/session.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

#include "runtime/auth/auth.h"

namespace crmx::console {

namespace {

std::string Digest(std::string_view text) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof d);
}

constexpr size_t kIdLength = 43;  // 43 x log2(62) = 256 bits

}  // namespace

const char* RoleName(Role r) { return r == Role::kOperator ? "operator" : "read_only"; }

bool SameSecret(std::string_view a, std::string_view b) {
  std::string da = Digest(a), db = Digest(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

Sessions::Sessions(std::vector<Login> logins, int64_t lifetime_ms, size_t max_sessions)
    : logins_(std::move(logins)), lifetime_ms_(lifetime_ms), max_(std::max<size_t>(1, max_sessions)) {}

std::optional<Session> Sessions::LogIn(std::string_view token, int64_t now_ms) {
  const Login* found = nullptr;
  // Every login is compared, whichever matches: the time says nothing about which one did.
  for (const Login& l : logins_)
    if (SameSecret(l.token, token) && !token.empty() && found == nullptr) found = &l;
  if (found == nullptr) return std::nullopt;
  Session s;
  s.id = auth::RandomAlnum(kIdLength);
  s.csrf = auth::RandomAlnum(kIdLength);
  s.name = found->name;
  s.role = found->role;
  s.expires_ms = now_ms + lifetime_ms_;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_digest_.begin(); it != by_digest_.end();)
    it = it->second.expires_ms <= now_ms ? by_digest_.erase(it) : std::next(it);
  while (by_digest_.size() >= max_) {
    auto first = std::min_element(by_digest_.begin(), by_digest_.end(), [](const auto& x, const auto& y) {
      return x.second.expires_ms < y.second.expires_ms;
    });
    by_digest_.erase(first);
  }
  by_digest_[Digest(s.id)] = s;
  return s;
}

std::optional<Session> Sessions::Find(std::string_view id, int64_t now_ms) {
  if (id.size() != kIdLength) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_digest_.find(Digest(id));
  if (it == by_digest_.end()) return std::nullopt;
  if (it->second.expires_ms <= now_ms) {
    by_digest_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::LogOut(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  by_digest_.erase(Digest(id));
}

bool Sessions::CsrfOk(const Session& session, std::string_view token) {
  return !token.empty() && !session.csrf.empty() && SameSecret(session.csrf, token);
}

size_t Sessions::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return by_digest_.size();
}

std::string CookieValue(std::string_view header, std::string_view name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(at, end - at);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    at = end + 1;
  }
  return {};
}

std::string SetCookie(std::string_view name, std::string_view id, int64_t max_age_s, bool secure) {
  std::string c = std::string(name) + "=" + std::string(id) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(std::max<int64_t>(0, max_age_s));
  if (secure) c += "; Secure";
  return c;
}

}  // namespace crmx::console
