// Defines the notification sinks (notify.h).
#include "runtime/watch/notify.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "runtime/auth/auth.h"
#include "runtime/http/client.h"
#include "runtime/http/curl_library.h"

namespace crmx::watch {

namespace {

// The longest prefix of `s` of at most `n` bytes that does not cut a UTF-8 character.
std::string Prefix(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// Slack's mrkdwn: `&`, `<` and `>` are control characters and must be escaped.
std::string SlackEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// One header line's text: no CR or LF (a header cannot be injected), at most 900 bytes.
std::string HeaderText(const std::string& s) {
  std::string out = s;
  std::replace(out.begin(), out.end(), '\r', ' ');
  std::replace(out.begin(), out.end(), '\n', ' ');
  return Prefix(out, 900);
}

bool PlainAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// RFC 2047: UTF-8 text as base64 encoded words of at most 75 characters, folded.
std::string EncodedWords(const std::string& s) {
  std::string out;
  size_t at = 0;
  while (at < s.size()) {
    size_t n = std::min<size_t>(45, s.size() - at);
    while (at + n < s.size() && n > 0 && (static_cast<unsigned char>(s[at + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + auth::Base64(std::string_view(s).substr(at, n)) + "?=";
    at += n;
  }
  return out;
}

// RFC 2045 quoted-printable of `text` ("\n" line ends become CRLF), lines at most 76 characters.
std::string QuotedPrintable(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string encoded;
    size_t width = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      std::string piece;
      // A line's first dot is encoded too, so no server reads it as the end of the message.
      if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && i == 0)) || ((c == ' ' || c == '\t') && !last)) {
        piece = std::string(1, static_cast<char>(c));
      } else {
        piece = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      if (width + piece.size() > 75) {
        encoded += "=\r\n";
        width = 0;
      }
      encoded += piece;
      width += piece.size();
    }
    out += encoded;
    if (end == text.size()) break;
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

bool ValidAddress(const std::string& a) {
  size_t at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() && a.find_first_of(" <>\r\n\t,;\"") == std::string::npos;
}

size_t ReadUpload(char* buffer, size_t size, size_t items, void* data) {
  auto* up = static_cast<std::pair<const std::string*, size_t>*>(data);
  size_t n = std::min(size * items, up->first->size() - up->second);
  std::memcpy(buffer, up->first->data() + up->second, n);
  up->second += n;
  return n;
}

class ProfileNotifier : public Notifier {
 public:
  ProfileNotifier(profile::Notify notify, LogLine log, std::function<std::string(const std::string&)> redact)
      : notify_(std::move(notify)), log_(std::move(log)), redact_(std::move(redact)) {
    http::Options o;
    o.timeout = std::chrono::milliseconds(30000);
    client_ = std::make_unique<http::Client>(o);
  }

  std::vector<std::string> Expand(const std::string& name, std::string& error) const override {
    if (notify_.channels.empty()) return {"log"};
    auto it = notify_.channels.find(name);
    if (it == notify_.channels.end()) {
      std::string names;
      for (const auto& [n, c] : notify_.channels) names += (names.empty() ? "" : ", ") + n;
      error = "channel `" + name + "` is not in the profile's notify.channels (" + names + ")";
      return {};
    }
    std::vector<std::string> out;
    if (it->second.webhook) out.push_back("webhook:" + name);
    for (const std::string& a : it->second.email) out.push_back("email:" + a);
    if (it->second.log) out.push_back("log");
    return out;
  }

  // Without any notify section (no channels, no smtp) everything goes to the log, owners too.
  std::string OwnerChannel() const override {
    bool unset = notify_.channels.empty() && !notify_.smtp;
    return notify_.owners == "log" || unset ? "owner:log" : "owner:email";
  }

  int64_t RenotifyMs() const override { return notify_.renotify_ms; }

  SendResult Send(const std::string& channel, const Message& m, const std::string& key, int64_t now_ms) override {
    SendResult r;
    if (channel == "log") {
      if (log_) log_("notification " + m.subject + "\n" + m.text);
      r.ok = true;
    } else if (channel.rfind("webhook:", 0) == 0) {
      r = Webhook(channel.substr(8), m, key);
    } else if (channel.rfind("email:", 0) == 0) {
      r = Email(channel.substr(6), m, key, now_ms);
    } else {
      r.error = "no sink for channel `" + channel + "`";
    }
    if (redact_) r.error = redact_(r.error);
    return r;
  }

 private:
  SendResult Webhook(const std::string& name, const Message& m, const std::string& key) {
    SendResult r;
    auto it = notify_.channels.find(name);
    if (it == notify_.channels.end() || !it->second.webhook) {
      r.error = "channel `" + name + "` has no webhook";
      return r;
    }
    http::Request req;
    req.method = "POST";
    req.url = it->second.webhook->Reveal();
    req.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"X-Crmx-Notification", key}};
    req.body = SlackBody(m);
    http::Response res = client_->Send(req);
    if (res.Ok()) {
      r.ok = true;
      return r;
    }
    // Never the URL (it is the webhook's credential): the status and what the server said.
    if (res.status == 0) {
      r.retriable = true;
      r.error = "webhook of `" + name + "`: no answer: " + res.transport_error;
    } else {
      r.retriable = res.status == 429 || res.status >= 500;
      r.error = "webhook of `" + name + "`: HTTP " + std::to_string(res.status) + ": " + Prefix(res.body, 200);
    }
    // libcurl's messages may quote the URL it could not reach.
    std::string url = it->second.webhook->Reveal();
    for (size_t at; !url.empty() && (at = r.error.find(url)) != std::string::npos;)
      r.error.replace(at, url.size(), "[" + it->second.webhook->Describe() + "]");
    return r;
  }

  SendResult Email(const std::string& to, const Message& m, const std::string& key, int64_t now_ms) {
    SendResult r;
    if (!notify_.smtp) {
      r.error = "cannot email " + to + ": the profile's notify section has no smtp";
      return r;
    }
    if (!ValidAddress(to)) {
      r.error = "`" + to + "` is not an email address";
      return r;
    }
    return SendSmtp(*notify_.smtp, to, FormatEmail(notify_.smtp->from, to, m, now_ms, key));
  }

  profile::Notify notify_;
  LogLine log_;
  std::function<std::string(const std::string&)> redact_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace

std::string SlackBody(const Message& m) {
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", Prefix(m.subject, 140)}}}});
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Prefix(SlackEscape(m.text), 2900)}}}});
  nlohmann::json body{{"text", SlackEscape(m.subject + "\n" + m.text)}, {"blocks", blocks}};
  return body.dump();
}

std::string EmailDate(int64_t now_ms) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatEmail(const std::string& from, const std::string& to, const Message& m, int64_t now_ms,
                        const std::string& message_key) {
  std::string subject = HeaderText(m.subject);
  std::string domain = from.substr(from.find('@') == std::string::npos ? from.size() : from.find('@') + 1);
  if (domain.empty()) domain = "crmx.invalid";
  std::string out;
  out += "Date: " + EmailDate(now_ms) + "\r\n";
  out += "From: " + HeaderText(from) + "\r\n";
  out += "To: " + HeaderText(to) + "\r\n";
  out += "Subject: " + (PlainAscii(subject) ? subject : EncodedWords(subject)) + "\r\n";
  out += "Message-ID: <" + HeaderText(message_key) + "@" + HeaderText(domain) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  // RFC 3834: sent by a program, so vacation responders do not answer it.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += QuotedPrintable(m.text) + "\r\n";
  return out;
}

SendResult SendSmtp(const profile::Smtp& smtp, const std::string& to, const std::string& message) {
  SendResult r;
  const http::CurlLibrary* lib = http::Curl(r.error);
  if (lib == nullptr) {
    // Not retriable: the next try finds the same installation.
    r.error = "email to " + to + ": " + r.error;
    return r;
  }
  CURL* c = lib->easy_init();
  if (c == nullptr) {
    r.retriable = true;
    r.error = "cannot start libcurl";
    return r;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::pair<const std::string*, size_t> upload{&message, 0};
  std::string from = "<" + smtp.from + ">";
  curl_slist* rcpt = lib->slist_append(nullptr, ("<" + to + ">").c_str());
  lib->easy_setopt(c, CURLOPT_URL, smtp.url.c_str());
  lib->easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  lib->easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  lib->easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  lib->easy_setopt(c, CURLOPT_READDATA, &upload);
  lib->easy_setopt(c, CURLOPT_UPLOAD, 1L);
  lib->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  lib->easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(smtp.timeout_ms > 0 ? smtp.timeout_ms : 30000));
  lib->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  // smtp:// with `starttls`: STARTTLS, and nothing is sent when the server does not offer it.
  if (smtp.starttls) lib->easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!smtp.username.empty()) {
    lib->easy_setopt(c, CURLOPT_USERNAME, smtp.username.c_str());
    lib->easy_setopt(c, CURLOPT_PASSWORD, smtp.password.Reveal().c_str());
  }
  CURLcode rc = lib->easy_perform(c);
  long reply = 0;
  lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  lib->slist_free_all(rcpt);
  lib->easy_cleanup(c);
  if (rc == CURLE_OK) {
    r.ok = true;
    return r;
  }
  std::string what = errbuf[0] ? errbuf : lib->easy_strerror(rc);
  r.error = "email to " + to + ": " + (reply ? "SMTP " + std::to_string(reply) + ": " : std::string()) + what;
  // A 4xx reply is "try again later" (greylisting, a full queue); 5xx is final. Without a
  // failing reply: the server was not reached or the connection broke, worth another try;
  // STARTTLS refused, a login refused: final.
  if (reply >= 400) {
    r.retriable = reply < 500;
  } else {
    r.retriable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_OPERATION_TIMEDOUT ||
                  rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
                  rc == CURLE_SSL_CONNECT_ERROR;
  }
  if (!smtp.password.Reveal().empty())
    for (size_t at; (at = r.error.find(smtp.password.Reveal())) != std::string::npos;)
      r.error.replace(at, smtp.password.Reveal().size(), "[secret " + smtp.password.Describe() + "]");
  return r;
}

std::unique_ptr<Notifier> MakeNotifier(const profile::Notify& notify, LogLine log,
                                       std::function<std::string(const std::string&)> redact) {
  return std::make_unique<ProfileNotifier>(notify, std::move(log), std::move(redact));
}

}  // namespace crmx::watch
