// Defines `Result<T>`, what a fallible standard-library function returns: its value, or a
// failure carrying the reason a person reads in the data-quality queue ("unknown state or
// province `Atlantis`"). Functions never throw; the VM turns a failure into the `??` fallback,
// a false condition or a record error (docs/types.md, "Fallible calls").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace crmx::stdlib {

struct Failure {
  std::string reason;
};

inline Failure Fail(std::string reason) { return Failure{std::move(reason)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Failure failure) : v_(std::move(failure)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // The value. Calling it on a failure is a broken invariant: check ok() first.
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // The reason of a failure (empty for a value).
  std::string_view reason() const { return ok() ? std::string_view() : std::get<1>(v_).reason; }

 private:
  std::variant<T, Failure> v_;
};

// `text` in backticks for a failure reason, shortened to 60 code points ("…" marks the cut) so
// that a huge field value does not make a huge reason.
std::string Quote(std::string_view text);

}  // namespace crmx::stdlib
