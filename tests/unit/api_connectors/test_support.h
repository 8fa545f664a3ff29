// Defines what the vendor connector tests (Salesforce, NetSuite, QuickBooks, Xero, SAP, Oracle) set up alike: target
// fields, decimal constants, pushdown conditions, a fake system profile and an API session whose
// waits are recorded instead of slept, and the rows of a whole read. Header-only.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/auth/auth.h"
#include "runtime/connectors/api/call.h"
#include "runtime/connectors/connector.h"
#include "runtime/decimal/decimal.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/value/value.h"

namespace crmx::testing {

// A target field `name` of `type`; a dotted name ("SalesItemLineDetail.ItemRef.value") is a
// nested path.
inline plan::TargetField Field(const std::string& name, plan::FieldType type, std::optional<int> scale = std::nullopt,
                               bool reference = false) {
  plan::TargetField f;
  f.name = name;
  for (size_t start = 0;;) {
    size_t dot = name.find('.', start);
    f.path.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  f.type = type;
  f.scale = scale;
  f.reference = reference;
  return f;
}

inline value::Value Dec(const char* text) { return value::Value::Dec(*decimal::Decimal::Parse(text)); }

inline plan::SourceCondition Cond(const std::string& field, plan::FilterOp op, value::Value v) {
  plan::SourceCondition c;
  c.field = field;
  c.op = op;
  c.value = std::move(v);
  return c;
}

// The profile of the system `erp`, a `kind` at `url` logging in by `method` with these auth
// parameters and secrets.
inline profile::SystemProfile FakeProfile(const std::string& kind, const std::string& url, const std::string& method,
                                          std::map<std::string, std::string> params,
                                          std::map<std::string, profile::Secret> secrets) {
  profile::SystemProfile p;
  p.name = "erp";
  p.kind = kind;
  p.base_url = url;
  p.auth.method = method;
  p.auth.params = std::move(params);
  p.auth.secrets = std::move(secrets);
  return p;
}

// A session of profile `p` whose waits are recorded in `waits` (when given), not slept; the
// authenticator must be made. Salesforce calls go to the instance URL of the login, as the
// connector's do.
inline std::shared_ptr<connectors::api::Session> TestSession(const profile::SystemProfile& p,
                                                             std::vector<int64_t>* waits = nullptr) {
  auto client = std::make_unique<http::Client>();
  std::string error;
  auto authenticator = auth::Make(p, *client, error);
  REQUIRE_MESSAGE(authenticator != nullptr, error);
  auto s = std::make_shared<connectors::api::Session>(p, std::move(client), std::move(authenticator),
                                                      p.kind == "salesforce");
  // Writers wait from several threads.
  auto mu = std::make_shared<std::mutex>();
  s->sleep = [waits, mu](std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(*mu);
    if (waits) waits->push_back(d.count());
  };
  return s;
}

// Every record of a read, row by row (values owned).
inline std::vector<std::vector<value::Value>> ReadEvery(connectors::RecordReader& r) {
  std::vector<std::vector<value::Value>> rows;
  connectors::RecordBatch b;
  while (r.Next(b)) {
    for (size_t i = 0; i < b.size(); ++i) {
      std::vector<value::Value> row;
      for (size_t j = 0; j < b.width; ++j) row.push_back(b.Row(i)[j].Owned());
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace crmx::testing
