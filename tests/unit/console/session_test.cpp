// Tests runtime/console/session: a token opens a session of its login's role and name and no
// other; sessions expire, end on logout and are bounded in number; ids and CSRF tokens are
// random and long; a CSRF token is checked whole; the cookie carries HttpOnly, SameSite=Strict
// and Path=/ (Secure when asked) and is read back from a Cookie header.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "runtime/console/session.h"

namespace cs = crmx::console;

namespace {

constexpr const char* kOperatorToken = "operator-token-0123456789abcdef";
constexpr const char* kReaderToken = "reader-token-0123456789abcdef00";
constexpr int64_t kHour = 3600 * 1000;

cs::Sessions Book(size_t max = 10000) {
  return cs::Sessions({{"ann", cs::Role::kOperator, kOperatorToken}, {"audit", cs::Role::kReadOnly, kReaderToken}},
                      8 * kHour, max);
}

}  // namespace

TEST_CASE("a token opens a session of its login, and only its own") {
  cs::Sessions book = Book();
  auto op = book.LogIn(kOperatorToken, 1000);
  REQUIRE(op);
  CHECK(op->name == "ann");
  CHECK(op->role == cs::Role::kOperator);
  CHECK(op->expires_ms == 1000 + 8 * kHour);
  auto ro = book.LogIn(kReaderToken, 1000);
  REQUIRE(ro);
  CHECK(ro->name == "audit");
  CHECK(ro->role == cs::Role::kReadOnly);
  CHECK(std::string(cs::RoleName(ro->role)) == "read_only");
  // Wrong, empty, a prefix, a longer text, another case: no session.
  CHECK_FALSE(book.LogIn("", 1000));
  CHECK_FALSE(book.LogIn("operator-token-0123456789abcde", 1000));
  CHECK_FALSE(book.LogIn(std::string(kOperatorToken) + "x", 1000));
  CHECK_FALSE(book.LogIn("OPERATOR-TOKEN-0123456789ABCDEF", 1000));
  CHECK(book.size() == 2);
}

TEST_CASE("a login without a token opens nothing, even for an empty token") {
  cs::Sessions book({{"nobody", cs::Role::kOperator, ""}}, kHour);
  CHECK_FALSE(book.LogIn("", 0));
  CHECK_FALSE(book.LogIn("anything-at-all-1234", 0));
}

TEST_CASE("session ids and CSRF tokens are long, random and distinct") {
  cs::Sessions book = Book();
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto s = book.LogIn(kReaderToken, 0);
    REQUIRE(s);
    CHECK(s->id.size() == 43);
    CHECK(s->csrf.size() == 43);
    CHECK(s->id != s->csrf);
    CHECK(s->id.find(kReaderToken) == std::string::npos);
    CHECK(seen.insert(s->id).second);
    CHECK(seen.insert(s->csrf).second);
  }
}

TEST_CASE("a session is found until it expires or its login logs out") {
  cs::Sessions book = Book();
  auto s = book.LogIn(kOperatorToken, 0);
  REQUIRE(s);
  auto found = book.Find(s->id, 8 * kHour - 1);
  REQUIRE(found);
  CHECK(found->csrf == s->csrf);
  CHECK_FALSE(book.Find(s->id, 8 * kHour));  // expired: dropped
  CHECK_FALSE(book.Find(s->id, 0));          // and gone for good
  auto t = book.LogIn(kOperatorToken, 0);
  REQUIRE(t);
  book.LogOut(t->id);
  CHECK_FALSE(book.Find(t->id, 1));
  // An id of another length, a changed character, the CSRF token in the id's place: nothing.
  auto u = book.LogIn(kOperatorToken, 0);
  REQUIRE(u);
  CHECK_FALSE(book.Find(u->id.substr(1), 1));
  std::string changed = u->id;
  changed[10] = changed[10] == 'a' ? 'b' : 'a';
  CHECK_FALSE(book.Find(changed, 1));
  CHECK_FALSE(book.Find(u->csrf, 1));
  CHECK(book.Find(u->id, 1));
}

TEST_CASE("sessions are bounded: the one closest to its end goes first") {
  cs::Sessions book = Book(2);
  auto a = book.LogIn(kOperatorToken, 0);
  auto b = book.LogIn(kOperatorToken, 10);
  auto c = book.LogIn(kOperatorToken, 20);
  REQUIRE((a && b && c));
  CHECK(book.size() == 2);
  CHECK_FALSE(book.Find(a->id, 30));
  CHECK(book.Find(b->id, 30));
  CHECK(book.Find(c->id, 30));
}

TEST_CASE("a CSRF token is checked whole") {
  cs::Sessions book = Book();
  auto s = book.LogIn(kOperatorToken, 0);
  REQUIRE(s);
  auto other = book.LogIn(kOperatorToken, 0);
  REQUIRE(other);
  CHECK(cs::Sessions::CsrfOk(*s, s->csrf));
  CHECK_FALSE(cs::Sessions::CsrfOk(*s, ""));
  CHECK_FALSE(cs::Sessions::CsrfOk(*s, s->csrf.substr(0, 42)));
  CHECK_FALSE(cs::Sessions::CsrfOk(*s, s->csrf + "x"));
  CHECK_FALSE(cs::Sessions::CsrfOk(*s, other->csrf));  // another session's token
  CHECK_FALSE(cs::Sessions::CsrfOk(*s, s->id));        // the session id is not the token
  cs::Session empty;
  CHECK_FALSE(cs::Sessions::CsrfOk(empty, ""));
}

TEST_CASE("SameSecret compares whole texts") {
  CHECK(cs::SameSecret("abc", "abc"));
  CHECK(cs::SameSecret("", ""));
  CHECK_FALSE(cs::SameSecret("abc", "abd"));
  CHECK_FALSE(cs::SameSecret("abc", "ab"));
  CHECK_FALSE(cs::SameSecret("abc", "abc "));
  CHECK_FALSE(cs::SameSecret(std::string("a\0b", 3), "a"));
}

TEST_CASE("the session cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure when asked") {
  CHECK(cs::SetCookie("crmx_session", "ID", 28800, false) ==
        "crmx_session=ID; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800");
  CHECK(cs::SetCookie("crmx_session", "ID", 60, true) ==
        "crmx_session=ID; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
  CHECK(cs::SetCookie("crmx_session", "", -5, false) == "crmx_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST_CASE("the session id is read from a Cookie header") {
  CHECK(cs::CookieValue("crmx_session=abc", "crmx_session") == "abc");
  CHECK(cs::CookieValue("a=1; crmx_session=abc; b=2", "crmx_session") == "abc");
  CHECK(cs::CookieValue("a=1;crmx_session=abc", "crmx_session") == "abc");
  CHECK(cs::CookieValue("xcrmx_session=abc", "crmx_session").empty());
  CHECK(cs::CookieValue("crmx_sessionx=abc", "crmx_session").empty());
  CHECK(cs::CookieValue("", "crmx_session").empty());
  CHECK(cs::CookieValue("crmx_session", "crmx_session").empty());
}
