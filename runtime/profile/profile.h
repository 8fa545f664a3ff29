// Defines profiles: where the systems of a spec are and how to log in to them, per target
// (like dbt's profiles.yml). A profile file (`crmx.profiles.yaml` beside the spec, or
// --profiles FILE) names targets; each target gives, per system of the spec, its kind, base
// URL, API version, account id and auth method. Secrets are references, `env:NAME` or
// `file:PATH`, resolved when the profile is loaded; a literal secret in the file is refused.
// docs/profiles.md shows the format.
//
// A Secret never prints its value: Describe() names the reference, and nothing in this
// library puts a value into an error message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crmx::profile {

class Secret {
 public:
  Secret() = default;
  Secret(std::string reference, std::string value) : reference_(std::move(reference)), value_(std::move(value)) {}
  // The value, for the one place that sends it (an auth header, a signature key).
  const std::string& Reveal() const { return value_; }
  // "env:SF_CLIENT_SECRET": what messages may show.
  const std::string& Describe() const { return reference_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string reference_;
  std::string value_;
};

struct Auth {
  // salesforce: "oauth2_client_credentials", "jwt_bearer";
  // netsuite: "oauth2_m2m" (client credentials with a signed JWT), "tba" (OAuth 1.0a HMAC-SHA256).
  std::string method;
  std::map<std::string, std::string> params;  // not secret: client_id, username, certificate_id, token_url, scope
  std::map<std::string, Secret> secrets;      // client_secret, private_key, consumer_secret, token_secret, ...
  // The parameter or secret `name`, "" when absent.
  std::string Param(const std::string& name) const;
  const Secret* FindSecret(const std::string& name) const;
};

struct SystemProfile {
  std::string name;  // the spec's system name: "crm"
  std::string kind;  // "salesforce", "netsuite", "files", "sqlite"
  std::string base_url;     // API systems: where to log in / call ("https://login.salesforce.com")
  std::string api_version;  // "v61.0"
  std::string account_id;   // NetSuite: "1234567_SB1"
  std::string path;         // files / sqlite: the directory or database
  Auth auth;
  int concurrency = 0;  // requests in flight at most; 0: the connector's default
  int timeout_ms = 0;   // per request; 0: the client's default
  std::map<std::string, std::string> options;  // anything else the system's section sets
  // `crmx-run serve`: how often an `on change` sync reading this system polls it ("30s"; ""
  // the default), and how this system's webhooks are verified (docs/serve.md).
  std::string poll;
  struct Webhook {
    std::string scheme;  // "hubspot", "quickbooks", "xero", "crmx"
    Secret secret;       // the app's client secret / verifier token / webhook key
    std::string url;     // the public URL the vendor posts to (HubSpot signs it); "" from Host
  };
  std::optional<Webhook> webhook;
};

// `notify:` (docs/profiles.md, "Notifications"): where the alerts' notifications go.
struct Smtp {
  std::string url;        // "smtp://mail.acme.example:587", or "smtps://...:465" (TLS from the start)
  std::string from;       // the sender: envelope MAIL FROM and the From header
  bool starttls = false;  // smtp://: upgrade with STARTTLS, and send nothing without it
  std::string username;   // "": no AUTH
  Secret password;
  int timeout_ms = 0;  // per message; 0: 30 s
};

struct Channel {
  std::string name;                 // "finance-ops", as the spec's `notify "finance-ops"` names it
  std::optional<Secret> webhook;    // a Slack-compatible incoming webhook URL: a credential, so a reference
  std::vector<std::string> email;   // addresses told by email (the `smtp` section sends)
  bool log = false;                 // also (or only) in crmx-run's log
};

struct Notify {
  std::optional<Smtp> smtp;
  std::map<std::string, Channel> channels;
  std::string owners = "email";  // how `owner_of(...)` targets are told: "email" or "log"
  int64_t renotify_ms = 24 * 3600 * 1000;  // an alert still holding is told again this often; 0: never
};

// One built-in alert (docs/serve.md, "Built-in alerts"); `on` false turns it off.
struct BuiltinAlert {
  bool on = true;
  double over = 0;                  // failure_rate: percent; data_quality_backlog: open items
  int64_t after_ms = 0;             // delivery_overdue: how long a decided write may stay undone
  std::vector<std::string> notify;  // channels; empty: Alerts::notify
};

// `alerts:`: the built-in alerts and how often serve evaluates the alerts.
struct Alerts {
  int64_t every_ms = 60000;
  std::vector<std::string> notify;  // where the built-in alerts go; empty: the log
  BuiltinAlert failure_rate{true, 5.0, 0, {}};
  BuiltinAlert budget{true, 0, 0, {}};
  BuiltinAlert data_quality_backlog{true, 50, 0, {}};
  BuiltinAlert delivery_overdue{true, 0, 15 * 60 * 1000, {}};
  BuiltinAlert dead_letters{true, 0, 0, {}};
};

// `state:` of a target (docs/profiles.md, "The state"): a PostgreSQL state shared by several
// `crmx-run serve` workers.
struct StateLocation {
  std::string url;  // postgresql://USER@HOST:PORT/DATABASE, without a password
  Secret password;
};

// `console:` (docs/console.md): who may log in to the operations console `crmx-run serve`
// serves, and how its sessions work.
struct ConsoleLogin {
  std::string name;  // who acts, as the `actions` table records it ("ann")
  std::string role;  // "operator" (reads and acts) or "read_only" (reads)
  Secret token;      // what the person types on the login page: a reference, never a value
};

struct Console {
  std::vector<ConsoleLogin> logins;  // none: the console is off (its pages answer 404)
  int64_t session_ms = 8 * 3600 * 1000;  // a session ends this long after its login
  // The session cookie's `Secure` attribute: "auto" (when the request came through a proxy that
  // says `X-Forwarded-Proto: https`), "on" (always: serve is only reached over TLS), "off".
  std::string secure_cookie = "auto";
};

struct Target {
  std::string name;
  std::string file;  // the profile file it came from
  std::map<std::string, SystemProfile> systems;
  // The target's own `notify:` / `alerts:` sections, else the file's top-level ones, else the
  // defaults (everything to the log).
  Notify notify;
  Alerts alerts;
  // Where the state is, when the target says (else --state, else a SQLite file beside the data).
  std::optional<StateLocation> state;
  // The target's own `console:` section, else the file's top-level one, else none (off).
  Console console;
};

// Loads target `target` ("" = the file's `default_target`) of the profile file at `path`,
// resolving every secret reference. False with `error` (naming file, target, system and key,
// never a secret's value) when the file or a reference cannot be read or a key is malformed.
bool Load(const std::string& path, const std::string& target, Target& out, std::string& error);
// The same from YAML text (`file` names it in messages).
bool Parse(const std::string& yaml, const std::string& file, const std::string& target, Target& out,
           std::string& error);

// Replaces every occurrence of a secret value of `target` in `text` by its reference
// ("[secret env:SF_CLIENT_SECRET]"): the last guard on messages that quote a server's answer.
std::string Redact(const Target& target, std::string text);

}  // namespace crmx::profile
