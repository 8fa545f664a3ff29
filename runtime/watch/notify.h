// Defines the notification sinks the alerts (alerts.h) deliver through (docs/serve.md, "Alerts
// and notifications"):
// - a webhook: an HTTP POST of a Slack-compatible JSON body (`{"text": ..., "blocks": [...]}`),
//   which Slack's incoming webhooks, Mattermost, Rocket.Chat and Teams' Slack-compatible
//   connectors take;
// - email: an RFC 5322 message sent over SMTP by libcurl (`smtp://` with optional STARTTLS, or
//   `smtps://`), MAIL FROM the profile's sender, RCPT TO one address a message;
// - the log: one line on crmx-run's log.
// Which sink a channel name goes to is the profile's `notify:` section (runtime/profile).
//
// A channel string says where one notification goes: "webhook:NAME" (channel NAME's webhook),
// "email:ADDRESS", "log", or "owner:email" / "owner:log" (an owner, resolved to "email:ADDRESS"
// before the send: owners.h). No channel string, error or log line holds a secret: a webhook is
// named by its channel, and its URL never leaves the sink.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/profile/profile.h"

namespace crmx::watch {

// What a notification says.
struct Message {
  std::string subject;  // one line
  std::string text;     // plain text, lines separated by "\n"
};

// How one send went.
struct SendResult {
  bool ok = false;
  bool retriable = false;  // a later try may work: no answer, HTTP 429 or 5xx, an SMTP 4xx reply
  std::string error;       // what happened, without secrets
};

// The body of a webhook POST: `{"text": SUBJECT\nTEXT, "blocks": [a header block with the
// subject, a section block with the text]}`, as Slack's incoming webhooks read it (`text` is
// what notifications and clients without blocks show). Slack's mrkdwn specials `&`, `<`, `>` are
// escaped as Slack asks.
std::string SlackBody(const Message& m);

// The email of `m` from `from` to `to`, as RFC 5322 text with CRLF line ends: Date (RFC 5322
// form, UTC, from `now_ms`), From, To, Subject (an RFC 2047 encoded word when it is not plain
// ASCII), Message-ID (`<KEY@DOMAIN>`: the same for every try of one notification, DOMAIN the
// sender's), MIME-Version, Content-Type text/plain UTF-8 and the body quoted-printable (any
// text, any line length, survives any server).
std::string FormatEmail(const std::string& from, const std::string& to, const Message& m, int64_t now_ms,
                        const std::string& message_key);

// "Tue, 02 Jun 2026 14:03:00 +0000".
std::string EmailDate(int64_t now_ms);

// Delivers notifications by channel string. Tests put a fake in its place.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // The channel strings a spec's or the profile's channel NAME expands to: its webhook, each of
  // its email addresses, the log. With no `notify:` channels at all, every name goes to the log.
  // Empty, with `error`, when the profile's channels do not name it.
  virtual std::vector<std::string> Expand(const std::string& name, std::string& error) const = 0;
  // How an owner (`owner_of(...)`) is told: "owner:email", or "owner:log" (`owners: log`, or a
  // profile without a notify section).
  virtual std::string OwnerChannel() const = 0;
  // How often an alert that still holds is told again (the profile's `notify.renotify`); 0: never.
  virtual int64_t RenotifyMs() const = 0;
  // Sends `m` over a resolved channel ("webhook:NAME", "email:ADDRESS", "log"). `key` names
  // the notification (the email's Message-ID): the same on every try.
  virtual SendResult Send(const std::string& channel, const Message& m, const std::string& key, int64_t now_ms) = 0;
};

// Writes one line of the log: the notifications sent to "log", and what the alerts did.
using LogLine = std::function<void(const std::string& line)>;

// The notifier of a profile's `notify:` section: webhooks through runtime/http, email through
// libcurl's SMTP, the log through `log`. `redact` (may be empty) is the last guard on error
// texts (profile::Redact of the target).
std::unique_ptr<Notifier> MakeNotifier(const profile::Notify& notify, LogLine log,
                                       std::function<std::string(const std::string&)> redact = {});

// Sends `message` (FormatEmail's text) to `to` over SMTP as `smtp` says. Exposed for tests.
SendResult SendSmtp(const profile::Smtp& smtp, const std::string& to, const std::string& message);

}  // namespace crmx::watch
