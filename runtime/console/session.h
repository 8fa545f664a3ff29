// Defines the console's logins and sessions (docs/console.md, "Logging in"): who may log in
// (the profile's `console.logins`, each a name, a role and a token), the sessions a login opens
// (a random id in an HttpOnly, SameSite=Strict cookie, with an expiry) and the CSRF token each
// session carries in every form it shows and checks on every POST.
//
// Secrets here are compared in constant time (their SHA-256 digests with CRYPTO_memcmp: neither
// the content nor the length shows in the timing), and sessions are kept under the SHA-256 of
// their id, so a lookup's timing tells nothing about the ids either. No function puts a token
// or a session id into a message. Thread-safe: the HTTP threads share one Sessions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmx::console {

enum class Role { kReadOnly, kOperator };

// "operator", "read_only".
const char* RoleName(Role r);

struct Login {
  std::string name;  // who acts ("ann"), as the `actions` table records it
  Role role = Role::kReadOnly;
  std::string token;  // the secret's value
};

struct Session {
  std::string id;    // the cookie's value (43 random letters and digits: 256 bits)
  std::string csrf;  // the token every form of this session carries (the same size)
  std::string name;
  Role role = Role::kReadOnly;
  int64_t expires_ms = 0;  // Unix ms
};

// True when `a` and `b` are the same text, in time that depends on neither.
bool SameSecret(std::string_view a, std::string_view b);

class Sessions {
 public:
  // At most `max_sessions` live at once: a login past it ends the session closest to its end.
  Sessions(std::vector<Login> logins, int64_t lifetime_ms, size_t max_sessions = 10000);

  // A new session for the login whose token is `token` (every login is compared, in constant
  // time), or nullopt when no login has it.
  std::optional<Session> LogIn(std::string_view token, int64_t now_ms);
  // The live session with id `id`; nullopt when there is none or it expired (then it is dropped).
  std::optional<Session> Find(std::string_view id, int64_t now_ms);
  void LogOut(std::string_view id);
  // Whether `token` is the CSRF token of `session` (constant time; an empty token never is).
  static bool CsrfOk(const Session& session, std::string_view token);
  size_t size();

 private:
  std::vector<Login> logins_;
  int64_t lifetime_ms_;
  size_t max_;
  std::mutex mu_;
  std::map<std::string, Session> by_digest_;  // SHA-256 of the id -> session
};

// The value of cookie `name` in a Cookie header ("a=1; crmx_session=XYZ"), "" when absent.
std::string CookieValue(std::string_view header, std::string_view name);
// The Set-Cookie header of a session: `name=ID; Path=/; HttpOnly; SameSite=Strict; Max-Age=N`,
// with `Secure` when `secure`; an empty `id` and max-age 0 end it.
std::string SetCookie(std::string_view name, std::string_view id, int64_t max_age_s, bool secure);

}  // namespace crmx::console
