// Tests the notification sinks (runtime/watch/notify.h): the email's RFC 5322 text (headers,
// an encoded subject, quoted-printable body, no header injection), the Slack-compatible body,
// the webhook sink against a local HTTP server (what is posted, which failures are retried, the
// URL never in an error), and the SMTP sink against a small SMTP server of the test's own
// (the envelope, the message as sent, STARTTLS required but not offered, 4xx and 5xx replies).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "runtime/watch/notify.h"
#include "tests/unit/http/test_server.h"

namespace {

using namespace crmx;

constexpr int64_t kWhen = 1'780'000'000'000;  // Thu, 28 May 2026 20:26:40 +0000

// One SMTP session on 127.0.0.1 (RFC 5321's happy path), its commands and DATA kept. `rcpt_reply`
// is the answer to RCPT TO ("250 OK", or a refusal).
class SmtpServer {
 public:
  explicit SmtpServer(std::string rcpt_reply = "250 OK") : rcpt_reply_(std::move(rcpt_reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 4) == 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string Url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> commands;
  std::string data;

 private:
  void Send(int c, const std::string& line) { ::send(c, (line + "\r\n").data(), line.size() + 2, MSG_NOSIGNAL); }
  bool ReadLine(int c, std::string& buffer, std::string& line) {
    size_t end;
    while ((end = buffer.find("\r\n")) == std::string::npos) {
      char chunk[4096];
      ssize_t n = recv(c, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    line = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    return true;
  }
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string buffer, line;
    Send(c, "220 test ESMTP");
    bool in_data = false;
    while (ReadLine(c, buffer, line)) {
      if (in_data) {
        if (line == ".") {
          in_data = false;
          Send(c, "250 queued");
        } else {
          data += line + "\r\n";
        }
        continue;
      }
      commands.push_back(line);
      std::string verb = line.substr(0, 4);
      if (verb == "EHLO") {
        ::send(c, "250-test\r\n250 8BITMIME\r\n", 24, MSG_NOSIGNAL);
      } else if (verb == "RCPT") {
        Send(c, rcpt_reply_);
      } else if (verb == "DATA") {
        in_data = true;
        Send(c, "354 go on");
      } else if (verb == "QUIT") {
        Send(c, "221 bye");
        break;
      } else {
        Send(c, "250 OK");
      }
    }
    close(c);
  }
  std::string rcpt_reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

watch::Message Sample() {
  return watch::Message{"[crmx] pending_approval: erp.SalesOrder 17 for 48h",
                        "Alert pending_approval: erp.SalesOrder 17 has matched `status == \"Pending Approval\"`.\n"
                        ".a line that starts with a dot\nÄrger = 100% <sure> & done"};
}

}  // namespace

TEST_CASE("email: RFC 5322 headers with CRLF, a stable Message-ID, quoted-printable UTF-8 body") {
  std::string e = watch::FormatEmail("crmx@acme.example", "ann.lee@acme.example", Sample(), kWhen, "k123");
  CHECK(e.find("Date: Thu, 28 May 2026 20:26:40 +0000\r\n") == 0);
  CHECK(e.find("\r\nFrom: crmx@acme.example\r\n") != std::string::npos);
  CHECK(e.find("\r\nTo: ann.lee@acme.example\r\n") != std::string::npos);
  CHECK(e.find("\r\nSubject: [crmx] pending_approval: erp.SalesOrder 17 for 48h\r\n") != std::string::npos);
  CHECK(e.find("\r\nMessage-ID: <k123@acme.example>\r\n") != std::string::npos);
  CHECK(e.find("\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n") != std::string::npos);
  size_t body = e.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  // The body without its soft line breaks (`=` at a line's end).
  std::string text = e.substr(body + 4);
  for (size_t at; (at = text.find("=\r\n")) != std::string::npos;) text.erase(at, 3);
  CHECK(text.find("matched `status =3D=3D \"Pending Approval\"`.") != std::string::npos);
  // A line's first dot, non-ASCII bytes and `=` are encoded; no bare LF anywhere.
  CHECK(text.find("\r\n=2Ea line that starts with a dot\r\n") != std::string::npos);
  CHECK(text.find("=C3=84rger =3D 100% <sure> & done") != std::string::npos);
  for (size_t i = 0; i < e.size(); ++i)
    if (e[i] == '\n') REQUIRE((i > 0 && e[i - 1] == '\r'));
  // Lines of at most 76 characters (soft breaks).
  watch::Message long_line{"s", std::string(300, 'x')};
  std::string l = watch::FormatEmail("a@b.example", "c@d.example", long_line, kWhen, "k");
  size_t start = l.find("\r\n\r\n") + 4;
  for (size_t at = start, end; (end = l.find("\r\n", at)) != std::string::npos; at = end + 2) CHECK(end - at <= 76);
}

TEST_CASE("email: a subject that is not ASCII is encoded; CR and LF cannot start a new header") {
  watch::Message m{"Auftrag für Müller\r\nBcc: evil@example.com", "x"};
  std::string e = watch::FormatEmail("crmx@acme.example", "ann@acme.example", m, kWhen, "k");
  CHECK(e.find("\r\nBcc:") == std::string::npos);
  CHECK(e.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(e.find("für") == std::string::npos);
}

TEST_CASE("the webhook body is Slack's: text for every client, a header and a section block, mrkdwn escaped") {
  nlohmann::json j = nlohmann::json::parse(watch::SlackBody(Sample()));
  std::string text = j["text"];
  CHECK(text.rfind("[crmx] pending_approval: erp.SalesOrder 17 for 48h\nAlert pending_approval", 0) == 0);
  CHECK(text.find("&lt;sure&gt; &amp; done") != std::string::npos);
  REQUIRE(j["blocks"].size() == 2);
  CHECK(j["blocks"][0]["type"] == "header");
  CHECK(j["blocks"][0]["text"]["type"] == "plain_text");
  CHECK(j["blocks"][0]["text"]["text"] == "[crmx] pending_approval: erp.SalesOrder 17 for 48h");
  CHECK(j["blocks"][1]["type"] == "section");
  CHECK(j["blocks"][1]["text"]["type"] == "mrkdwn");
}

TEST_CASE("the webhook sink: posts the body, retries 503 and no answer, not 404; the URL is never in an error") {
  int status = 200;
  testing::TestServer server([&status](const testing::ServerRequest&) {
    testing::ServerReply r;
    r.status = status;
    r.body = status == 200 ? "ok" : status == 404 ? "no_service" : "busy";
    return r;
  });
  const std::string url = server.Url("/services/T000/B000/secret-token-xyz");
  setenv("CRMX_TEST_WEBHOOK", url.c_str(), 1);
  profile::Notify notify;
  profile::Channel ch;
  ch.name = "finance-ops";
  ch.webhook = profile::Secret("env:CRMX_TEST_WEBHOOK", url);
  notify.channels["finance-ops"] = ch;
  std::vector<std::string> logged;
  auto n = watch::MakeNotifier(notify, [&logged](const std::string& l) { logged.push_back(l); });
  std::string error;
  CHECK(n->Expand("finance-ops", error) == std::vector<std::string>{"webhook:finance-ops"});
  CHECK(n->Expand("sales", error).empty());
  CHECK(error.find("`sales` is not in the profile's notify.channels (finance-ops)") != std::string::npos);

  watch::SendResult r = n->Send("webhook:finance-ops", Sample(), "key-1", kWhen);
  CHECK(r.ok);
  auto requests = server.Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/services/T000/B000/secret-token-xyz");
  CHECK(requests[0].Header("Content-Type") == "application/json; charset=utf-8");
  CHECK(requests[0].Header("X-Crmx-Notification") == "key-1");
  CHECK(nlohmann::json::parse(requests[0].body) == nlohmann::json::parse(watch::SlackBody(Sample())));

  status = 503;
  r = n->Send("webhook:finance-ops", Sample(), "key-1", kWhen);
  CHECK_FALSE(r.ok);
  CHECK(r.retriable);
  CHECK(r.error == "webhook of `finance-ops`: HTTP 503: busy");
  status = 404;
  r = n->Send("webhook:finance-ops", Sample(), "key-1", kWhen);
  CHECK_FALSE(r.retriable);
  CHECK(r.error == "webhook of `finance-ops`: HTTP 404: no_service");

  profile::Notify closed = notify;
  std::string closed_url = "http://127.0.0.1:" + std::to_string(testing::TestServer::ClosedPort()) + "/hook-secret";
  closed.channels["finance-ops"].webhook = profile::Secret("env:CRMX_TEST_WEBHOOK", closed_url);
  r = watch::MakeNotifier(closed, {})->Send("webhook:finance-ops", Sample(), "k", kWhen);
  CHECK_FALSE(r.ok);
  CHECK(r.retriable);
  CHECK(r.error.find("hook-secret") == std::string::npos);
  CHECK(r.error.find("127.0.0.1:" + std::to_string(testing::TestServer::ClosedPort()) + "/") == std::string::npos);

  // The log sink.
  CHECK(n->Send("log", Sample(), "k", kWhen).ok);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].rfind("notification [crmx] pending_approval", 0) == 0);
}

TEST_CASE("the smtp sink: MAIL FROM and RCPT TO, the message as formatted, dot-stuffed by libcurl") {
  SmtpServer server;
  profile::Smtp smtp;
  smtp.url = server.Url();
  smtp.from = "crmx@acme.example";
  std::string message = watch::FormatEmail(smtp.from, "ann.lee@acme.example", Sample(), kWhen, "k1");
  watch::SendResult r = watch::SendSmtp(smtp, "ann.lee@acme.example", message);
  CHECK_MESSAGE(r.ok, r.error);
  bool from = false, rcpt = false;
  for (const std::string& c : server.commands) {
    from = from || c == "MAIL FROM:<crmx@acme.example>" || c.rfind("MAIL FROM:<crmx@acme.example> ", 0) == 0;
    rcpt = rcpt || c == "RCPT TO:<ann.lee@acme.example>";
  }
  CHECK(from);
  CHECK(rcpt);
  CHECK(server.data == message);
}

TEST_CASE("the smtp sink: STARTTLS required but not offered sends nothing; 4xx is retried, 5xx is not") {
  {
    SmtpServer server;
    profile::Smtp smtp;
    smtp.url = server.Url();
    smtp.from = "crmx@acme.example";
    smtp.starttls = true;
    watch::SendResult r = watch::SendSmtp(smtp, "ann@acme.example", "Subject: x\r\n\r\nbody\r\n");
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retriable);
    CHECK(server.data.empty());
    for (const std::string& c : server.commands) CHECK(c.rfind("MAIL", 0) != 0);
  }
  {
    SmtpServer server("451 4.7.1 greylisted, try again later");
    profile::Smtp smtp{server.Url(), "crmx@acme.example", false, "", {}, 0};
    watch::SendResult r = watch::SendSmtp(smtp, "ann@acme.example", "Subject: x\r\n\r\nbody\r\n");
    CHECK_FALSE(r.ok);
    CHECK(r.retriable);
    CHECK(r.error.find("SMTP 451") != std::string::npos);
  }
  {
    SmtpServer server("550 5.1.1 no such user");
    profile::Smtp smtp{server.Url(), "crmx@acme.example", false, "", {}, 0};
    watch::SendResult r = watch::SendSmtp(smtp, "nobody@acme.example", "Subject: x\r\n\r\nbody\r\n");
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retriable);
    CHECK(r.error.find("SMTP 550") != std::string::npos);
  }
  {
    profile::Smtp smtp{"smtp://127.0.0.1:" + std::to_string(testing::TestServer::ClosedPort()), "crmx@acme.example",
                       false, "", {}, 0};
    watch::SendResult r = watch::SendSmtp(smtp, "ann@acme.example", "Subject: x\r\n\r\nbody\r\n");
    CHECK_FALSE(r.ok);
    CHECK(r.retriable);
  }
}
