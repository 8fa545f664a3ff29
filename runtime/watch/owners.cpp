// Defines the owners' lookup (owners.h).
#include "runtime/watch/owners.h"

#include <set>

namespace crmx::watch {

namespace {

using value::Value;

// Links a read asks for at most (a SOQL `IN (...)` list stays well under the query's length limit).
constexpr size_t kPerRead = 200;

std::string Text(const Value& v) {
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  return v.IsNull() || v.IsError() ? std::string() : value::Display(v, false);
}

// Reads `object`'s records whose `key` is one of `keys`, field `want` of each: key -> value.
// The pushdown asks the system for those records only; records it returns anyway (a file
// connector applies none) are left out here.
bool ReadField(connectors::Connector& c, const std::string& object, const std::string& key, const std::string& want,
               const std::set<std::string>& keys, std::map<std::string, std::string>& out, uint64_t& calls,
               std::string& error) {
  std::vector<std::string> all(keys.begin(), keys.end());
  for (size_t at = 0; at < all.size(); at += kPerRead) {
    std::vector<Value> items;
    for (size_t i = at; i < std::min(all.size(), at + kPerRead); ++i) items.push_back(Value::String(all[i]));
    connectors::ReadRequest req;
    req.object = object;
    req.fields = {key, want};
    req.types = {plan::FieldType::kString, plan::FieldType::kString};
    req.batch = kPerRead;
    req.id_field = key;
    req.pushdown = {plan::SourceCondition{key, plan::FilterOp::kIn, Value::List(std::move(items)), 0}};
    std::unique_ptr<connectors::RecordReader> r = c.OpenReader(req, error);
    if (!r) return false;
    connectors::RecordBatch batch;
    while (r->Next(batch)) {
      for (size_t i = 0; i < batch.size(); ++i) {
        std::string k = Text(batch.Row(i)[0]);
        if (keys.count(k)) out[k] = Text(batch.Row(i)[1]);
      }
    }
    calls += r->Calls();
    if (!r->error().empty()) {
      error = "reading " + object + ": " + r->error();
      return false;
    }
  }
  return true;
}

}  // namespace

bool ResolveOwners(const plan::NotifyTarget& t, const std::vector<std::string>& links, connectors::Connector& connector,
                   Owners& out, std::string& error) {
  std::set<std::string> wanted;
  for (const std::string& l : links)
    if (!l.empty()) wanted.insert(l);
  std::map<std::string, std::string> owner_of;  // link -> user id
  if (!ReadField(connector, t.owner_object.object, t.link_key, t.owner_field, wanted, owner_of, out.calls, error))
    return false;
  std::set<std::string> users;
  for (const auto& [link, user] : owner_of)
    if (!user.empty()) users.insert(user);
  std::map<std::string, std::string> email_of;  // user id -> email
  if (!users.empty() && !ReadField(connector, t.user_object, t.user_id, t.user_email, users, email_of, out.calls, error))
    return false;
  std::string owner = t.owner_object.system + "." + t.owner_object.object;
  for (const std::string& l : links) {
    auto o = owner_of.find(l);
    if (l.empty()) {
      out.missing[l] = "the alerted record names no " + owner;
    } else if (o == owner_of.end()) {
      out.missing[l] = "no " + owner + " " + l;
    } else if (o->second.empty()) {
      out.missing[l] = owner + " " + l + " has no " + t.owner_field;
    } else if (auto e = email_of.find(o->second); e == email_of.end() || e->second.empty()) {
      out.missing[l] = "the owner of " + owner + " " + l + " (" + t.user_object + " " + o->second + ") has no " +
                       t.user_email;
    } else {
      out.email[l] = e->second;
    }
  }
  return true;
}

bool EventOwnerTarget(const plan::Plan& p, const std::string& map, const std::string& text, plan::NotifyTarget& out) {
  const std::string prefix = "owner_of(";
  if (text.rfind(prefix, 0) != 0 || text.back() != ')') return false;
  std::string inner = text.substr(prefix.size(), text.size() - prefix.size() - 1);
  size_t dot = inner.find('.');
  const plan::Map* m = p.FindMap(map);
  if (dot == std::string::npos || m == nullptr || m->source_id.empty()) return false;
  plan::ObjectName owner{inner.substr(0, dot), inner.substr(dot + 1)};
  if (owner.system != m->source.system || owner.object != m->source.object) return false;
  out = plan::NotifyTarget{};
  out.text = text;
  out.owner_object = owner;
  out.link_map = map;
  out.link_key = m->source_id;
  out.owner_field = "OwnerId";
  out.user_object = "User";
  out.user_id = "Id";
  out.user_email = "Email";
  return true;
}

}  // namespace crmx::watch
