// Defines the helpers shared by the importers: file reading, JSON/YAML parsing with positions,
// JSON pointers and typed member access.
#include "compiler/schema/import_util.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace crmx::schema::detail {

bool ReadFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read `" + path + "`: " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "cannot read `" + path + "`: read failed";
    return false;
  }
  out = std::move(ss).str();
  return true;
}

std::string PositionOf(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

std::optional<ImportError> ParseJson(std::string_view text, const std::string& path, Json& out) {
  try {
    out = Json::parse(text.begin(), text.end());
    return std::nullopt;
  } catch (const Json::parse_error& e) {
    // nlohmann's byte is 1-based and points just past the offending character.
    size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
    if (auto p = what.find(": "); p != std::string::npos) what = what.substr(p + 2);
    return ImportError{path, PositionOf(text, at), "malformed JSON: " + what, false};
  } catch (const std::exception& e) {
    return ImportError{path, "", std::string("malformed JSON: ") + e.what(), false};
  }
}

namespace {

bool IsYamlNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> YamlBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool LooksInteger(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool LooksFloat(const std::string& s) {
  // YAML 1.2 core: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

Json FromYaml(const YAML::Node& node, int depth) {
  if (depth > 256) throw YAML::Exception(node.Mark(), "nesting deeper than 256 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      // yaml-cpp tags quoted scalars "!" and plain ones "?": only plain ones are resolved.
      if (node.Tag() != "?") return s;
      if (IsYamlNull(s)) return nullptr;
      if (auto b = YamlBool(s)) return *b;
      if (LooksInteger(s)) {
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (errno == 0 && end && *end == '\0') return v;
      }
      if (LooksFloat(s)) return std::strtod(s.c_str(), nullptr);
      return s;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(FromYaml(item, depth + 1));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        obj[kv.first.as<std::string>()] = FromYaml(kv.second, depth + 1);
      }
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<ImportError> ParseYaml(std::string_view text, const std::string& path, Json& out) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    out = FromYaml(root, 0);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    std::string pos;
    if (!e.mark.is_null()) {
      pos = "line " + std::to_string(e.mark.line + 1) + ", column " +
            std::to_string(e.mark.column + 1);
    }
    return ImportError{path, pos, "malformed YAML: " + e.msg, false};
  } catch (const std::exception& e) {
    return ImportError{path, "", std::string("malformed YAML: ") + e.what(), false};
  }
}

std::optional<ImportError> ParseJsonOrYaml(std::string_view text, const std::string& path,
                                           Json& out) {
  size_t i = 0;
  // Skip a UTF-8 byte order mark and leading whitespace.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                             text[i] == '\n')) {
    ++i;
  }
  if (i < text.size() && (text[i] == '{' || text[i] == '[')) {
    return ParseJson(text.substr(i), path, out);
  }
  return ParseYaml(text, path, out);
}

std::optional<ImportError> LoadJsonFile(const std::string& path, Json& out, bool allow_yaml) {
  std::string text;
  std::string err;
  if (!ReadFile(path, text, err)) return ImportError{path, "", err, true};
  std::string_view view = text;
  if (view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
  return allow_yaml ? ParseJsonOrYaml(view, path, out) : ParseJson(view, path, out);
}

std::string EscapePointer(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Child(const std::string& parent, std::string_view token) {
  return parent + "/" + EscapePointer(token);
}

std::string Child(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

std::optional<bool> GetBool(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<std::string> GetString(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<uint32_t> GetUint(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) return static_cast<uint32_t>(it->get<uint64_t>());
  if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    return static_cast<uint32_t>(it->get<int64_t>());
  }
  if (it->is_number_float() && it->get<double>() >= 0) {
    return static_cast<uint32_t>(it->get<double>());
  }
  return std::nullopt;
}

std::string ScalarText(const Json& j) {
  if (j.is_null()) return "";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string Stem(const std::string& path) {
  std::string name = path;
  if (auto slash = name.find_last_of("/\\"); slash != std::string::npos) {
    name = name.substr(slash + 1);
  }
  if (auto dot = name.find('.'); dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  return name;
}

void AddObjectOrWarn(Schema& schema, Object object, Warner& warner) {
  std::string name = object.name;
  std::string pointer = object.source.pointer;
  if (!schema.AddObject(std::move(object))) {
    warner.Warn(pointer, "object `" + name + "` is defined more than once; the first is kept");
  }
}

void DeriveRequiredOnCreate(Field& field) {
  if (field.nullable == true || field.defaulted_on_create == true ||
      field.createable == false || field.calculated == true) {
    field.required_on_create = false;
  } else if (field.nullable == false && field.defaulted_on_create == false) {
    field.required_on_create = true;
  }
  // Otherwise (not nullable, but defaultedOnCreate unknown) it stays unknown.
}

}  // namespace crmx::schema::detail
