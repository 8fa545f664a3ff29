// Defines the profile reader of profile.h: the YAML shape (which keys a target, a system and an
// auth method may have), the check that secrets are references, and their resolution from the
// environment or from files beside the profile. Every message names the key path
// (`targets.dev.crm.auth.client_secret`) and the reference, never a value.
#include "runtime/profile/profile.h"
#include "runtime/profile/yaml_errors.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "runtime/value/value.h"

namespace crmx::profile {
namespace {

const std::vector<std::string> kKinds = {"salesforce", "netsuite", "sap", "xero", "quickbooks", "hubspot", "oracle", "files", "sqlite"};

// The keys whose values are credentials: they must be references. NetSuite's consumer key and
// token id are credentials too (with the secrets, they log in).
const std::set<std::string> kSecretKeys = {"client_secret", "private_key", "consumer_secret", "token_secret",
                                           "password",      "refresh_token", "consumer_key", "token_id",
                                           "access_token"};

struct Method {
  std::string name;
  std::string kind;  // the system kind it logs in to
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

// The auth methods and their keys (besides `method`). docs/profiles.md lists the same.
const std::vector<Method> kMethods = {
    {"oauth2_client_credentials", "salesforce", {"client_id", "client_secret"}, {"token_url"}},
    {"jwt_bearer", "salesforce", {"client_id", "username", "private_key"}, {"audience", "token_url"}},
    {"oauth2_m2m", "netsuite", {"client_id", "certificate_id", "private_key"}, {"token_url", "scope", "alg"}},
    {"tba", "netsuite", {"consumer_key", "consumer_secret", "token_id", "token_secret"}, {"realm"}},
    // Oracle Fusion Cloud: basic auth, or the IDCS JWT user assertion with a JWT client assertion
    // (runtime/auth/jwt_assertion.cpp; `certificate_alias` the JWT kid, `scope` the Fusion resource scope).
    {"basic", "oracle", {"username", "password"}, {}},
    {"oauth2_jwt_assertion", "oracle", {"client_id", "username", "private_key", "token_url"},
     {"certificate_alias", "scope", "audience"}},
    // SAP S/4HANA Cloud: a communication user, or OAuth 2.0 client credentials against the BTP/IAS token
    // endpoint (`client_auth: basic` sends the client in an Authorization header, SAP's usual form).
    {"basic", "sap", {"username", "password"}, {}},
    {"oauth2_client_credentials", "sap", {"client_id", "client_secret", "token_url"}, {"client_auth", "scope"}},
    // Xero custom connections: client credentials, the client as HTTP Basic auth (runtime/auth/basic.cpp).
    {"oauth2_client_credentials", "xero", {"client_id", "client_secret"}, {"token_url", "scope"}},
    // QuickBooks Online: OAuth 2.0 refresh-token grant; Intuit rotates refresh tokens, so the file the
    // rotated one is kept in is required (runtime/auth/refresh.h, docs/profiles.md).
    {"oauth2_refresh_token", "quickbooks", {"client_id", "client_secret", "refresh_token", "refresh_token_file"},
     {"token_url", "client_auth"}},
    // HubSpot: a private app's static access token (runtime/auth/private_app.cpp), or a public app's
    // OAuth 2.0 refresh token (HubSpot takes the client in the form: `client_auth: body`).
    {"private_app", "hubspot", {"access_token"}, {}},
    {"oauth2_refresh_token", "hubspot", {"client_id", "client_secret", "refresh_token"},
     {"token_url", "client_auth", "refresh_token_file"}},
};

const std::vector<std::string> kSystemKeys = {"kind",       "base_url", "api_version", "account_id", "path",
                                              "concurrency", "timeout_ms", "auth", "options", "poll", "webhook"};
const std::vector<std::string> kWebhookSchemes = {"hubspot", "quickbooks", "xero", "crmx"};


bool IsReference(const std::string& value) { return value.starts_with("env:") || value.starts_with("file:"); }

// Collects every problem of a file (capped), each with its position.
class Reader : public YamlErrors {
 public:
  Reader(std::string file, std::filesystem::path dir) : YamlErrors(std::move(file)), dir_(std::move(dir)) {}

  // The scalar at `node` as text, or an error naming `path`.
  bool Scalar(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node.IsScalar()) {
      Error(node, "`" + path + "` must be a single value");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  bool Int(const YAML::Node& node, const std::string& path, int& out) {
    std::string text;
    if (!Scalar(node, path, text)) return false;
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || v < 0 || v > 1000000) {
      Error(node, "`" + path + "` must be a whole number, not `" + text + "`");
      return false;
    }
    out = static_cast<int>(v);
    return true;
  }

  // Resolves `env:NAME` or `file:PATH` (relative to the profile's directory; trailing newlines
  // trimmed). The message names the reference, never what was read.
  bool Resolve(const YAML::Node& at, const std::string& path, const std::string& reference, std::string& value) {
    if (reference.starts_with("env:")) {
      std::string name = reference.substr(4);
      const char* v = name.empty() ? nullptr : std::getenv(name.c_str());
      if (v == nullptr) {
        Error(at, "`" + path + "`: environment variable `" + name + "` (from `" + reference + "`) is not set");
        return false;
      }
      if (*v == '\0') {
        Error(at, "`" + path + "`: environment variable `" + name + "` (from `" + reference + "`) is empty");
        return false;
      }
      value = v;
      return true;
    }
    std::filesystem::path file = reference.substr(5);
    if (file.is_relative()) file = dir_ / file;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      Error(at, "`" + path + "`: cannot read `" + reference + "` (" + file.string() + ": " + std::strerror(errno) + ")");
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) {
      Error(at, "`" + path + "`: `" + reference + "` is empty");
      return false;
    }
    return true;
  }

  void ReadAuth(const YAML::Node& node, const std::string& path, const std::string& kind, bool resolve, Auth& auth) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map with `method` and its keys");
      return;
    }
    std::vector<std::string> names;
    for (const auto& m : kMethods)
      if (!Contains(names, m.name)) names.push_back(m.name);
    const YAML::Node method_node = node["method"];
    if (!method_node.IsDefined()) {
      Error(node, "`" + path + "` has no `method` (one of: " + Join(names) + ")");
      return;
    }
    if (!Scalar(method_node, path + ".method", auth.method)) return;
    const Method* method = nullptr;
    for (const auto& m : kMethods) {
      // A method several kinds log in with has an entry per kind: the system's own wins.
      if (m.name == auth.method && (method == nullptr || m.kind == kind)) method = &m;
    }
    if (method == nullptr) {
      Error(method_node, "`" + path + ".method`: `" + auth.method + "` is not an auth method (one of: " + Join(names) + ")");
      return;
    }
    if (!kind.empty() && method->kind != kind) {
      Error(method_node, "`" + path + ".method`: `" + auth.method + "` logs in to " + method->kind + ", not " + kind);
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      if (key == "method") continue;
      if (!Contains(method->required, key) && !Contains(method->optional, key)) {
        std::vector<std::string> keys = method->required;
        keys.insert(keys.end(), method->optional.begin(), method->optional.end());
        Error(entry.first, "`" + key_path + "` is not a key of auth method " + auth.method + " (expected: " + Join(keys) + ")");
        continue;
      }
      std::string value;
      if (!Scalar(entry.second, key_path, value)) continue;
      seen.insert(key);
      bool secret = kSecretKeys.count(key) > 0;
      if (secret && !IsReference(value)) {
        Error(entry.second, "`" + key_path + "` must be a reference (env:NAME or file:PATH), not a literal secret");
        continue;
      }
      if (IsReference(value)) {
        // Any reference is resolved and kept as a secret (a client_id may come from the environment too).
        std::string resolved;
        if (resolve && !Resolve(entry.second, key_path, value, resolved)) continue;
        auth.secrets[key] = Secret(value, resolved);
      } else {
        auth.params[key] = value;
      }
    }
    for (const auto& key : method->required) {
      if (seen.count(key) == 0) Error(node, "`" + path + "` needs `" + key + "` for auth method " + auth.method);
    }
  }

  // `webhook: {scheme: hubspot, secret: env:HUBSPOT_CLIENT_SECRET}`: the secret a reference.
  void ReadWebhook(const YAML::Node& node, const std::string& path, bool resolve, SystemProfile& system) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map with `scheme` and `secret`");
      return;
    }
    SystemProfile::Webhook w;
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      std::string value;
      if (key != "scheme" && key != "secret" && key != "url") {
        Error(entry.first, "`" + key_path + "` is not a webhook key (expected: scheme, secret, url)");
        continue;
      }
      if (!Scalar(entry.second, key_path, value)) continue;
      if (key == "url") {
        w.url = value;
      } else if (key == "scheme") {
        if (!Contains(kWebhookSchemes, value))
          Error(entry.second, "`" + key_path + "`: `" + value + "` is not a webhook scheme (one of: " +
                                  Join(kWebhookSchemes) + ")");
        w.scheme = value;
      } else if (!IsReference(value)) {
        Error(entry.second, "`" + key_path + "` must be a reference (env:NAME or file:PATH), not a literal secret");
      } else {
        std::string resolved;
        if (resolve && !Resolve(entry.second, key_path, value, resolved)) continue;
        w.secret = Secret(value, resolved);
      }
    }
    if (w.scheme.empty()) Error(node, "`" + path + "` needs `scheme` (one of: " + Join(kWebhookSchemes) + ")");
    if (w.secret.Describe().empty()) Error(node, "`" + path + "` needs `secret` (env:NAME or file:PATH)");
    system.webhook = w;
  }

  // A Go duration ("24h", "15m", "90s", "0") in milliseconds.
  bool Duration(const YAML::Node& node, const std::string& path, int64_t& out) {
    std::string text;
    if (!Scalar(node, path, text)) return false;
    value::Time t;
    if (!value::ParseDuration(text, t) || t.seconds < 0 || t.nanos < 0) {
      Error(node, "`" + path + "` must be a duration (90s, 15m, 24h), not `" + text + "`");
      return false;
    }
    out = t.seconds * 1000 + t.nanos / 1000000;
    return true;
  }

  // `on` / `off` (also true / false).
  bool Switch(const YAML::Node& node, const std::string& path, bool& out) {
    std::string text;
    if (!Scalar(node, path, text)) return false;
    if (text == "on" || text == "true") out = true;
    else if (text == "off" || text == "false") out = false;
    else Error(node, "`" + path + "` must be on or off, not `" + text + "`");
    return true;
  }

  // A secret's reference (`env:NAME`, `file:PATH`), resolved when `resolve`; a literal is refused
  // (`why` ends the message: ": a webhook URL is a secret"). False when nothing was kept.
  bool ReadSecret(const YAML::Node& node, const std::string& path, bool resolve, Secret& out,
                  const std::string& why = ", not a literal secret") {
    std::string text;
    if (!Scalar(node, path, text)) return false;
    if (!IsReference(text)) {
      Error(node, "`" + path + "` must be a reference (env:NAME or file:PATH)" + why);
      return false;
    }
    std::string resolved;
    if (resolve && !Resolve(node, path, text, resolved)) return false;
    out = Secret(text, resolved);
    return true;
  }

  // `console:` (docs/console.md): logins (name: {role, token}), session, secure_cookie.
  void ReadConsole(const YAML::Node& node, const std::string& path, bool resolve, Console& out) {
    out = Console{};
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map (logins, session, secure_cookie)");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      if (key == "session") {
        Duration(entry.second, key_path, out.session_ms);
        if (out.session_ms <= 0) Error(entry.second, "`" + key_path + "` must be a duration above 0 (8h, 30m)");
      } else if (key == "secure_cookie") {
        if (Scalar(entry.second, key_path, out.secure_cookie) &&
            !Contains({"auto", "on", "off"}, out.secure_cookie))
          Error(entry.second, "`" + key_path + "` must be auto, on or off, not `" + out.secure_cookie + "`");
      } else if (key == "logins") {
        if (!entry.second.IsMap()) {
          Error(entry.second, "`" + key_path + "` must be a map of names to {role, token}");
          continue;
        }
        for (const auto& login : entry.second) {
          ConsoleLogin l;
          l.name = login.first.as<std::string>();
          ReadLogin(login.second, key_path + "." + l.name, resolve, l);
          out.logins.push_back(std::move(l));
        }
      } else {
        Error(entry.first, "`" + key_path + "` is not a console key (expected: logins, session, secure_cookie)");
      }
    }
  }

  void ReadLogin(const YAML::Node& node, const std::string& path, bool resolve, ConsoleLogin& out) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map with `role` and `token`");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      if (key == "role") {
        if (Scalar(entry.second, key_path, out.role) && !Contains({"operator", "read_only"}, out.role))
          Error(entry.second, "`" + key_path + "` must be operator or read_only, not `" + out.role + "`");
      } else if (key == "token") {
        // A token anyone can guess opens the console to them: at least 16 characters.
        if (ReadSecret(entry.second, key_path, resolve, out.token) && resolve && out.token.Reveal().size() < 16)
          Error(entry.second, "`" + key_path + "`: " + out.token.Describe() + " holds fewer than 16 characters");
      } else {
        Error(entry.first, "`" + key_path + "` is not a login key (expected: role, token)");
      }
    }
    if (out.role.empty()) Error(node, "`" + path + "` needs `role` (operator or read_only)");
    if (out.token.Describe().empty()) Error(node, "`" + path + "` needs `token` (env:NAME or file:PATH)");
  }

  // One value or a list of them.
  void Strings(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    out.clear();
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        std::string v;
        if (Scalar(node[i], path + "[" + std::to_string(i) + "]", v)) out.push_back(v);
      }
      return;
    }
    std::string v;
    if (Scalar(node, path, v)) out.push_back(v);
  }

  // `notify:` (docs/profiles.md, "Notifications"): smtp, channels, owners, renotify.
  void ReadNotify(const YAML::Node& node, const std::string& path, bool resolve, Notify& out) {
    out = Notify{};
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map (smtp, channels, owners, renotify)");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      const YAML::Node& value = entry.second;
      if (key == "smtp") {
        out.smtp = Smtp{};
        ReadSmtp(value, key_path, resolve, *out.smtp);
      } else if (key == "channels") {
        if (!value.IsMap()) {
          Error(value, "`" + key_path + "` must be a map of channel names to channels");
          continue;
        }
        for (const auto& c : value) {
          Channel channel;
          channel.name = c.first.as<std::string>();
          ReadChannel(c.second, key_path + "." + channel.name, resolve, channel);
          out.channels[channel.name] = std::move(channel);
        }
      } else if (key == "owners") {
        if (Scalar(value, key_path, out.owners) && out.owners != "email" && out.owners != "log")
          Error(value, "`" + key_path + "` must be email or log, not `" + out.owners + "`");
      } else if (key == "renotify") {
        Duration(value, key_path, out.renotify_ms);
      } else {
        Error(entry.first, "`" + key_path + "` is not a notify key (expected: smtp, channels, owners, renotify)");
      }
    }
    for (const auto& [name, c] : out.channels)
      if (!c.email.empty() && !out.smtp)
        Error(node, "`" + path + ".channels." + name + "` sends email, but `" + path + "` has no `smtp` section");
  }

  void ReadSmtp(const YAML::Node& node, const std::string& path, bool resolve, Smtp& out) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map with `url` and `from`");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      const YAML::Node& value = entry.second;
      if (key == "url") {
        if (Scalar(value, key_path, out.url) && !out.url.starts_with("smtp://") && !out.url.starts_with("smtps://"))
          Error(value, "`" + key_path + "` must be smtp://HOST:PORT or smtps://HOST:PORT, not `" + out.url + "`");
      } else if (key == "from") {
        Scalar(value, key_path, out.from);
      } else if (key == "starttls") {
        Switch(value, key_path, out.starttls);
      } else if (key == "username") {
        Scalar(value, key_path, out.username);
      } else if (key == "timeout_ms") {
        Int(value, key_path, out.timeout_ms);
      } else if (key == "password") {
        ReadSecret(value, key_path, resolve, out.password);
      } else {
        Error(entry.first,
              "`" + key_path + "` is not an smtp key (expected: url, from, starttls, username, password, timeout_ms)");
      }
    }
    if (out.url.empty()) Error(node, "`" + path + "` needs `url` (smtp://HOST:PORT or smtps://HOST:PORT)");
    if (out.from.empty()) Error(node, "`" + path + "` needs `from` (the sender's address)");
    // A password is never sent over a connection anyone on the way can read.
    if (!out.password.Describe().empty() && out.url.starts_with("smtp://") && !out.starttls)
      Error(node, "`" + path + "`: a password would be sent in clear: set `starttls: on`, or use smtps://");
  }

  void ReadChannel(const YAML::Node& node, const std::string& path, bool resolve, Channel& out) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map (webhook, email, log)");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      if (key == "webhook") {
        // A Slack incoming webhook's URL is its credential: whoever has it can post.
        Secret url;
        if (ReadSecret(entry.second, key_path, resolve, url, ": a webhook URL is a secret")) out.webhook = url;
      } else if (key == "email") {
        Strings(entry.second, key_path, out.email);
        for (const std::string& a : out.email)
          if (a.find('@') == std::string::npos || a.find_first_of(" <>\r\n") != std::string::npos)
            Error(entry.second, "`" + key_path + "`: `" + a + "` is not an email address");
      } else if (key == "log") {
        Switch(entry.second, key_path, out.log);
      } else {
        Error(entry.first, "`" + key_path + "` is not a channel key (expected: webhook, email, log)");
      }
    }
    if (!out.webhook && out.email.empty() && !out.log)
      Error(node, "`" + path + "` goes nowhere: give it `webhook`, `email` or `log: on`");
  }

  // `state:` (docs/profiles.md, "The state"): where the state is kept, for several workers a
  // PostgreSQL database: url (postgresql://USER@HOST:PORT/DB, no password in it), password (a
  // reference).
  void ReadState(const YAML::Node& node, const std::string& path, bool resolve, StateLocation& out) {
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map (url, password)");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      std::string text;
      if (key == "url") {
        if (!Scalar(entry.second, key_path, out.url)) continue;
        if (!out.url.starts_with("postgresql://") && !out.url.starts_with("postgres://"))
          Error(entry.second, "`" + key_path + "` must be postgresql://USER@HOST:PORT/DATABASE (a SQLite state is "
                              "a file: --state FILE)");
        size_t scheme = out.url.find("://"), at = out.url.find('@'), slash = out.url.find('/', scheme + 3);
        if (at != std::string::npos && (slash == std::string::npos || at < slash) &&
            out.url.find(':', scheme + 3) < at)
          Error(entry.second, "`" + key_path + "` has a password in it: give it as `password: env:NAME` instead");
      } else if (key == "password") {
        ReadSecret(entry.second, key_path, resolve, out.password);
      } else {
        Error(entry.first, "`" + key_path + "` is not a state key (expected: url, password)");
      }
    }
    if (out.url.empty()) Error(node, "`" + path + "` needs `url` (postgresql://USER@HOST:PORT/DATABASE)");
  }

  // `alerts:` (docs/profiles.md, "Alerts"): every, notify, and the built-in alerts.
  void ReadAlerts(const YAML::Node& node, const std::string& path, Alerts& out) {
    out = Alerts{};
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map (every, notify, and the built-in alerts)");
      return;
    }
    const std::vector<std::pair<std::string, BuiltinAlert*>> builtins = {
        {"failure_rate", &out.failure_rate},         {"budget", &out.budget},
        {"data_quality_backlog", &out.data_quality_backlog}, {"delivery_overdue", &out.delivery_overdue},
        {"dead_letters", &out.dead_letters}};
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      if (key == "every") {
        Duration(entry.second, key_path, out.every_ms);
        continue;
      }
      if (key == "notify") {
        Strings(entry.second, key_path, out.notify);
        continue;
      }
      BuiltinAlert* b = nullptr;
      for (const auto& [name, slot] : builtins)
        if (name == key) b = slot;
      if (b == nullptr) {
        Error(entry.first, "`" + key_path + "` is not an alerts key (expected: every, notify, failure_rate, budget, "
                           "data_quality_backlog, delivery_overdue, dead_letters)");
        continue;
      }
      ReadBuiltin(entry.second, key_path, key, *b);
    }
  }

  // `on`, `off`, or a map: on, over (failure_rate, data_quality_backlog), after
  // (delivery_overdue), notify.
  void ReadBuiltin(const YAML::Node& node, const std::string& path, const std::string& name, BuiltinAlert& b) {
    if (node.IsScalar()) {
      Switch(node, path, b.on);
      return;
    }
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be on, off, or a map");
      return;
    }
    bool has_over = name == "failure_rate" || name == "data_quality_backlog";
    bool has_after = name == "delivery_overdue";
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      std::string text;
      if (key == "on") {
        Switch(entry.second, key_path, b.on);
      } else if (key == "notify") {
        Strings(entry.second, key_path, b.notify);
      } else if (key == "after" && has_after) {
        Duration(entry.second, key_path, b.after_ms);
      } else if (key == "over" && has_over) {
        if (!Scalar(entry.second, key_path, text)) continue;
        if (!text.empty() && text.back() == '%') text.pop_back();
        char* end = nullptr;
        b.over = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || b.over < 0) Error(entry.second, "`" + key_path + "` must be a number >= 0");
      } else {
        Error(entry.first, "`" + key_path + "` is not a key of " + name + " (expected: on, notify" +
                               (has_over ? ", over" : "") + (has_after ? ", after" : "") + ")");
      }
    }
  }

  void ReadSystem(const YAML::Node& node, const std::string& path, const std::string& name, bool resolve,
                  SystemProfile& system) {
    system.name = name;
    if (!node.IsMap()) {
      Error(node, "`" + path + "` must be a map with `kind` and its settings");
      return;
    }
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      std::string key_path = path + "." + key;
      const YAML::Node& value = entry.second;
      if (!Contains(kSystemKeys, key)) {
        Error(entry.first, "`" + key_path + "` is not a system key (expected: " + Join(kSystemKeys) + ")");
      } else if (key == "kind") {
        if (Scalar(value, key_path, system.kind) && !Contains(kKinds, system.kind)) {
          Error(value, "`" + key_path + "`: `" + system.kind + "` is not a kind of system (one of: " + Join(kKinds) + ")");
        }
      } else if (key == "base_url") {
        if (Scalar(value, key_path, system.base_url)) {
          while (system.base_url.ends_with("/")) system.base_url.pop_back();
        }
      } else if (key == "api_version") {
        Scalar(value, key_path, system.api_version);
      } else if (key == "account_id") {
        Scalar(value, key_path, system.account_id);
      } else if (key == "path") {
        Scalar(value, key_path, system.path);
      } else if (key == "concurrency") {
        Int(value, key_path, system.concurrency);
      } else if (key == "timeout_ms") {
        Int(value, key_path, system.timeout_ms);
      } else if (key == "poll") {
        Scalar(value, key_path, system.poll);
      } else if (key == "webhook") {
        ReadWebhook(value, key_path, resolve, system);
      } else if (key == "options") {
        if (!value.IsMap()) {
          Error(value, "`" + key_path + "` must be a map of names to values");
          continue;
        }
        for (const auto& option : value) {
          std::string option_name = option.first.as<std::string>();
          std::string text;
          if (Scalar(option.second, key_path + "." + option_name, text)) system.options[option_name] = text;
        }
      }
    }
    if (system.kind.empty()) {
      if (!node["kind"].IsDefined()) Error(node, "`" + path + "` has no `kind` (one of: " + Join(kKinds) + ")");
      return;
    }
    bool api = system.kind == "salesforce" || system.kind == "netsuite" || system.kind == "sap" ||
               system.kind == "xero" || system.kind == "hubspot" || system.kind == "quickbooks" ||
               system.kind == "oracle";
    if (api) {
      if (system.kind == "netsuite" && system.account_id.empty()) {
        Error(node, "`" + path + "` needs `account_id` (netsuite)");
      }
      if (system.base_url.empty() && system.kind == "netsuite" && !system.account_id.empty()) {
        // NetSuite's account-specific domain: "1234567_SB1" -> "1234567-sb1".
        std::string host = system.account_id;
        for (char& c : host) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        system.base_url = "https://" + host + ".suitetalk.api.netsuite.com";
      }
      if (system.kind == "xero" && system.account_id.empty()) {
        Error(node, "`" + path + "` needs `account_id` (xero: the tenant id calls carry as `xero-tenant-id`)");
      }
      if (system.base_url.empty() && system.kind == "xero") system.base_url = "https://api.xero.com/api.xro/2.0";
      if (system.base_url.empty() && system.kind == "hubspot") system.base_url = "https://api.hubapi.com";
      if (system.kind == "quickbooks" && system.account_id.empty()) {
        Error(node, "`" + path + "` needs `account_id` (quickbooks: the company's realm id, in every call's path)");
      }
      if (system.base_url.empty() && system.kind == "quickbooks") system.base_url = "https://quickbooks.api.intuit.com";
      if (system.base_url.empty()) Error(node, "`" + path + "` needs `base_url` (" + system.kind + ")");
      const YAML::Node auth = node["auth"];
      if (!auth.IsDefined()) {
        Error(node, "`" + path + "` needs `auth` (" + system.kind + ")");
      } else {
        ReadAuth(auth, path + ".auth", system.kind, resolve, system.auth);
      }
    } else {
      if (system.path.empty()) Error(node, "`" + path + "` needs `path` (" + system.kind + ")");
      if (node["auth"].IsDefined()) Error(node["auth"], "`" + path + ".auth`: a " + system.kind + " system has no login");
    }
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::string Auth::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

const Secret* Auth::FindSecret(const std::string& name) const {
  auto it = secrets.find(name);
  return it == secrets.end() ? nullptr : &it->second;
}

namespace {

bool ParseRoot(const std::string& yaml, const std::string& file, const std::string& target, Target& out,
               std::string& error) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    error = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
            ": not valid YAML: " + e.msg;
    return false;
  }
  std::filesystem::path dir = std::filesystem::path(file).parent_path();
  Reader reader(file, dir);
  if (!root.IsMap()) {
    error = file + ": a profile file is a map with `targets` (and `default_target`)";
    return false;
  }
  std::string default_target;
  YAML::Node targets, notify, alerts, console;
  bool has_notify = false, has_alerts = false, has_console = false;
  for (const auto& entry : root) {
    std::string key = entry.first.as<std::string>();
    if (key == "default_target") {
      reader.Scalar(entry.second, key, default_target);
    } else if (key == "targets") {
      targets = entry.second;
    } else if (key == "notify") {
      notify = entry.second;
      has_notify = true;
    } else if (key == "alerts") {
      alerts = entry.second;
      has_alerts = true;
    } else if (key == "console") {
      console = entry.second;
      has_console = true;
    } else {
      reader.Error(entry.first,
                   "`" + key + "` is not a profile key (expected: default_target, targets, notify, alerts, console)");
    }
  }
  if (!targets.IsDefined() || !targets.IsMap() || targets.size() == 0) {
    reader.Error(targets.IsDefined() ? targets : root, "`targets` must be a map of target names to systems");
    error = reader.Message();
    return false;
  }
  std::vector<std::string> names;
  for (const auto& entry : targets) names.push_back(entry.first.as<std::string>());

  std::string chosen = target.empty() ? default_target : target;
  if (chosen.empty()) {
    if (names.size() == 1) {
      chosen = names.front();
    } else {
      reader.Error(root, "no target given and no `default_target` (targets: " + Join(names) + ")");
    }
  } else if (!Contains(names, chosen)) {
    reader.Error(target.empty() ? root["default_target"] : root,
                 "target `" + chosen + "` is not in the file (targets: " + Join(names) + ")");
  }

  // `notify:` and `alerts:` at the top apply to every target without its own (a target's
  // `notify` and `alerts` keys, which no system can be named); their secrets are read when the
  // chosen target uses them.
  Notify top_notify;
  Alerts top_alerts;
  const YAML::Node& all_targets = targets;
  const YAML::Node chosen_node = Contains(names, chosen) ? all_targets[chosen] : YAML::Node();
  bool chosen_own_notify = chosen_node.IsMap() && chosen_node["notify"].IsDefined();
  if (has_notify) reader.ReadNotify(notify, "notify", Contains(names, chosen) && !chosen_own_notify, top_notify);
  if (has_alerts) reader.ReadAlerts(alerts, "alerts", top_alerts);
  Console top_console;
  bool chosen_own_console = chosen_node.IsMap() && chosen_node["console"].IsDefined();
  if (has_console)
    reader.ReadConsole(console, "console", Contains(names, chosen) && !chosen_own_console, top_console);

  // Every target is checked for shape (a typo in `prod` shows while testing `dev`); only the
  // chosen target's secrets are read.
  for (const auto& entry : targets) {
    std::string name = entry.first.as<std::string>();
    std::string path = "targets." + name;
    if (!entry.second.IsMap()) {
      reader.Error(entry.second, "`" + path + "` must be a map of system names to systems");
      continue;
    }
    bool selected = name == chosen;
    Target parsed;
    parsed.name = name;
    parsed.file = file;
    parsed.notify = top_notify;
    parsed.alerts = top_alerts;
    parsed.console = top_console;
    for (const auto& system_entry : entry.second) {
      std::string system_name = system_entry.first.as<std::string>();
      if (system_name == "notify") {
        reader.ReadNotify(system_entry.second, path + ".notify", selected, parsed.notify);
        continue;
      }
      if (system_name == "alerts") {
        reader.ReadAlerts(system_entry.second, path + ".alerts", parsed.alerts);
        continue;
      }
      if (system_name == "state") {
        parsed.state.emplace();
        reader.ReadState(system_entry.second, path + ".state", selected, *parsed.state);
        continue;
      }
      if (system_name == "console") {
        reader.ReadConsole(system_entry.second, path + ".console", selected, parsed.console);
        continue;
      }
      SystemProfile system;
      reader.ReadSystem(system_entry.second, path + "." + system_name, system_name, selected, system);
      parsed.systems[system_name] = std::move(system);
    }
    if (selected) out = std::move(parsed);
  }
  if (reader.Failed()) {
    out = Target{};
    error = reader.Message();
    return false;
  }
  return true;
}

}  // namespace

bool Parse(const std::string& yaml, const std::string& file, const std::string& target, Target& out,
           std::string& error) {
  out = Target{};
  try {
    return ParseRoot(yaml, file, target, out, error);
  } catch (const YAML::Exception& e) {
    // A key that is not text (a list or map used as a key), and the like.
    out = Target{};
    error = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
            ": unexpected YAML: " + e.msg;
    return false;
  }
}

bool Load(const std::string& path, const std::string& target, Target& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read the profile file (" + std::strerror(errno) + ")";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path, target, out, error);
}

std::string Redact(const Target& target, std::string text) {
  // Longest values first, so a secret that contains another is replaced whole.
  std::vector<const Secret*> secrets;
  if (target.notify.smtp && !target.notify.smtp->password.Reveal().empty()) secrets.push_back(&target.notify.smtp->password);
  for (const auto& [name, channel] : target.notify.channels)
    if (channel.webhook && !channel.webhook->Reveal().empty()) secrets.push_back(&*channel.webhook);
  if (target.state && !target.state->password.Reveal().empty()) secrets.push_back(&target.state->password);
  for (const ConsoleLogin& l : target.console.logins)
    if (!l.token.Reveal().empty()) secrets.push_back(&l.token);
  for (const auto& [name, system] : target.systems) {
    if (system.webhook && !system.webhook->secret.Reveal().empty()) secrets.push_back(&system.webhook->secret);
    for (const auto& [key, secret] : system.auth.secrets) {
      if (!secret.Reveal().empty()) secrets.push_back(&secret);
    }
  }
  std::sort(secrets.begin(), secrets.end(),
            [](const Secret* a, const Secret* b) { return a->Reveal().size() > b->Reveal().size(); });
  for (const Secret* secret : secrets) {
    const std::string& value = secret->Reveal();
    std::string replacement = "[secret " + secret->Describe() + "]";
    for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at + replacement.size())) {
      text.replace(at, value.size(), replacement);
    }
  }
  return text;
}

}  // namespace crmx::profile
