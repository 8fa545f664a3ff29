// Defines connectors::Open and the JSON <-> value conversion shared by the connectors.
#include <filesystem>

#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace fs = std::filesystem;
using json = nlohmann::json;
using value::Kind;
using value::Value;

Value FromJson(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return Value::Null();
    case json::value_t::boolean: return Value::Bool(j.get<bool>());
    case json::value_t::number_integer: return Value::Int(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      return u <= static_cast<uint64_t>(INT64_MAX) ? Value::Int(static_cast<int64_t>(u)) : Value::Uint(u);
    }
    case json::value_t::number_float: return Value::Double(j.get<double>());
    case json::value_t::string: return Value::String(j.get<std::string>());
    case json::value_t::array: {
      std::vector<Value> items;
      for (const json& x : j) items.push_back(FromJson(x));
      return Value::List(std::move(items));
    }
    case json::value_t::object: {
      std::vector<std::pair<Value, Value>> entries;
      for (auto it = j.begin(); it != j.end(); ++it) entries.emplace_back(Value::String(it.key()), FromJson(it.value()));
      return Value::Map(std::move(entries));
    }
    default: return Value::Null();
  }
}

json ToJson(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return nullptr;
    case Kind::kBool: return v.AsBool();
    case Kind::kInt: return v.AsInt();
    case Kind::kUint: return v.AsUint();
    case Kind::kDouble: return v.AsDouble();
    case Kind::kDecimal: {
      // Money stays exact on the wire: a JSON number with the decimal's digits.
      return json::parse(v.AsDecimal().ToString(), nullptr, false);
    }
    case Kind::kString:
    case Kind::kBytes: return std::string(v.AsText());
    case Kind::kList: {
      json a = json::array();
      for (const Value& x : v.AsList()) a.push_back(ToJson(x));
      return a;
    }
    case Kind::kMap: {
      json o = json::object();
      for (const auto& [k, x] : v.AsMap().entries) {
        o[k.kind() == Kind::kString ? std::string(k.AsText()) : value::Display(k)] = ToJson(x);
      }
      return o;
    }
    case Kind::kTimestamp: return value::FormatTimestamp(v.AsTime());
    case Kind::kDuration: return value::FormatDuration(v.AsTime());
    case Kind::kType: return v.AsTypeName();
    case Kind::kError: return json{{"error", v.ErrorReason()}};
  }
  return nullptr;
}

Value ValueFromJson(const std::string& text, bool& ok) {
  json j = json::parse(text, nullptr, false);
  ok = !j.is_discarded();
  return ok ? FromJson(j) : Value::Null();
}

std::string ValueToJson(const Value& v) { return ToJson(v).dump(); }

std::unique_ptr<Connector> Open(const std::string& where, std::string& error) {
  if (where.rfind("sqlite:", 0) == 0) return OpenSqlite(where.substr(7), error);
  if (where.rfind("dir:", 0) == 0) return OpenFiles(where.substr(4), error);
  std::error_code ec;
  if (fs::is_directory(where, ec)) return OpenFiles(where, error);
  std::string ext = fs::path(where).extension().string();
  if (ext == ".db" || ext == ".sqlite" || ext == ".sqlite3") return OpenSqlite(where, error);
  error = "`" + where + "` is neither a directory of JSONL/CSV files nor a SQLite database (.db, .sqlite, "
          "or prefix it with sqlite: / dir:)";
  return nullptr;
}

}  // namespace crmx::connectors
