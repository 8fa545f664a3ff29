// Tests the HTTP client (runtime/http/client.h) against TestServer on 127.0.0.1: methods,
// bodies and headers, gzip, transport failures and their classification, connection reuse.
#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

#include "runtime/http/client.h"
#include "tests/unit/http/test_server.h"

namespace {

using crmx::http::Client;
using crmx::http::Request;
using crmx::http::Response;
using crmx::testing::ServerReply;
using crmx::testing::ServerRequest;
using crmx::testing::TestServer;
using namespace std::chrono_literals;

std::string Gzip(const std::string& text) {
  z_stream z{};
  // 15 + 16: a gzip wrapper, not zlib's.
  REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Answers with what it received: "METHOD TARGET\nheader X-Test\nbody".
ServerReply Echo(const ServerRequest& req) {
  ServerReply reply;
  reply.headers = {{"Content-Type", "text/plain"}, {"X-Echo-Method", req.method}};
  reply.body = req.method + " " + req.target + "\n" + req.Header("X-Test") + "\n" + req.body;
  return reply;
}

}  // namespace

TEST_CASE("GET sends headers and reads status, headers and body") {
  TestServer server(Echo);
  Client client;
  Request req;
  req.url = server.Url("/services/data/v61.0/query?q=SELECT+Id");
  req.headers = {{"X-Test", "hello"}};
  Response resp = client.Send(req);
  CHECK(resp.status == 200);
  CHECK(resp.Ok());
  CHECK(resp.transport_error.empty());
  CHECK(resp.body == "GET /services/data/v61.0/query?q=SELECT+Id\nhello\n");
  CHECK(resp.Header("X-Echo-Method") == "GET");
  CHECK(resp.Header("x-echo-method") == "GET");
  CHECK(resp.Header("CONTENT-TYPE") == "text/plain");
  CHECK(resp.Header("X-Absent").empty());
  CHECK(client.Sent() == 1);
  auto seen = server.Requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].Header("User-Agent") == "crmx-run/0.1");
}

TEST_CASE("POST, PUT, PATCH and DELETE send their method, body and content type") {
  TestServer server(Echo);
  Client client;
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    CAPTURE(method);
    Request req;
    req.method = method;
    req.url = server.Url("/record/v1/customer/42");
    req.headers = {{"Content-Type", "application/json"}, {"X-Test", method}};
    req.body = R"({"companyName":"Acme ")" + method + "\"}";
    Response resp = client.Send(req);
    CHECK(resp.status == 200);
    CHECK(resp.body == method + " /record/v1/customer/42\n" + method + "\n" + req.body);
    auto seen = server.Requests().back();
    CHECK(seen.method == method);
    CHECK(seen.Header("Content-Type") == "application/json");
    CHECK(seen.Header("Content-Length") == std::to_string(req.body.size()));
    // No 100-continue round trip.
    CHECK(seen.Header("Expect").empty());
  }
}

TEST_CASE("an HTTP error status is a response, not a transport error") {
  TestServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.status = 404;
    reply.body = R"([{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}])";
    return reply;
  });
  Client client;
  Request req;
  req.url = server.Url("/x");
  Response resp = client.Send(req);
  CHECK(resp.status == 404);
  CHECK_FALSE(resp.Ok());
  CHECK(resp.transport_error.empty());
  CHECK(resp.body.find("NOT_FOUND") != std::string::npos);
}

TEST_CASE("a gzip-encoded answer is decoded and gzip is offered") {
  const std::string text = std::string(2000, 'a') + " compressible text " + std::string(2000, 'b');
  TestServer server([&](const ServerRequest& req) {
    ServerReply reply;
    if (req.Header("Accept-Encoding").find("gzip") == std::string::npos) {
      reply.status = 406;
      return reply;
    }
    reply.headers = {{"Content-Encoding", "gzip"}};
    reply.body = Gzip(text);
    return reply;
  });
  Client client;
  Request req;
  req.url = server.Url("/gz");
  Response resp = client.Send(req);
  REQUIRE(resp.status == 200);
  CHECK(resp.body == text);
  CHECK(resp.Header("Content-Encoding") == "gzip");
}

TEST_CASE("two requests of one client share one TCP connection") {
  TestServer server(Echo);
  {
    Client client;
    Request req;
    req.url = server.Url("/a");
    CHECK(client.Send(req).status == 200);
    req.url = server.Url("/b");
    req.method = "POST";
    req.body = "x=1";
    CHECK(client.Send(req).status == 200);
    CHECK(client.Sent() == 2);
  }
  CHECK(server.Accepted() == 1);
  // Two clients: two connections (the counter does count).
  Client a;
  Client b;
  Request req;
  req.url = server.Url("/c");
  CHECK(a.Send(req).status == 200);
  CHECK(b.Send(req).status == 200);
  CHECK(server.Accepted() == 3);
}

TEST_CASE("no answer in time: status 0, timeout") {
  TestServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.delay = 1500ms;
    return reply;
  });
  Client client;
  Request req;
  req.url = server.Url("/slow");
  req.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  Response resp = client.Send(req);
  CHECK(std::chrono::steady_clock::now() - start < 1200ms);
  CHECK(resp.status == 0);
  CHECK(resp.transport_error.starts_with("timeout: "));
  CHECK(resp.body.empty());
  // The client's default timeout applies when the request has none.
  crmx::http::Options options;
  options.timeout = 150ms;
  Client fast(options);
  req.timeout = 0ms;
  CHECK(fast.Send(req).transport_error.starts_with("timeout: "));
}

TEST_CASE("nothing listening: status 0, connection refused") {
  Client client;
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(TestServer::ClosedPort()) + "/";
  Response resp = client.Send(req);
  CHECK(resp.status == 0);
  INFO(resp.transport_error);
  CHECK(resp.transport_error.starts_with("connection refused: "));
  // curl's own words follow the class.
  CHECK(resp.transport_error.size() > std::string("connection refused: ").size());
}

TEST_CASE("the server closes or resets the connection without answering: connection reset") {
  SUBCASE("close") {
    TestServer server([](const ServerRequest&) {
      ServerReply reply;
      reply.action = ServerReply::Action::kClose;
      return reply;
    });
    Client client;
    Request req;
    req.url = server.Url("/");
    Response resp = client.Send(req);
    CHECK(resp.status == 0);
    INFO(resp.transport_error);
    CHECK(resp.transport_error.starts_with("connection reset: "));
  }
  SUBCASE("reset") {
    TestServer server([](const ServerRequest&) {
      ServerReply reply;
      reply.action = ServerReply::Action::kReset;
      return reply;
    });
    Client client;
    Request req;
    req.url = server.Url("/");
    Response resp = client.Send(req);
    CHECK(resp.status == 0);
    INFO(resp.transport_error);
    CHECK(resp.transport_error.starts_with("connection reset: "));
  }
}

TEST_CASE("an unknown host: status 0, dns") {
  Client client;
  Request req;
  req.url = "http://crmx-test-host.invalid/";
  req.timeout = 5000ms;
  Response resp = client.Send(req);
  CHECK(resp.status == 0);
  INFO(resp.transport_error);
  CHECK(resp.transport_error.starts_with("dns: "));
}

TEST_CASE("a client keeps working after a transport error") {
  TestServer server(Echo);
  Client client;
  Request bad;
  bad.url = "http://127.0.0.1:" + std::to_string(TestServer::ClosedPort()) + "/";
  CHECK(client.Send(bad).status == 0);
  Request good;
  good.url = server.Url("/ok");
  CHECK(client.Send(good).status == 200);
}

TEST_CASE("UrlEncode keeps RFC 3986 unreserved characters only") {
  using crmx::http::UrlEncode;
  CHECK(UrlEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(UrlEncode("a b") == "a%20b");
  CHECK(UrlEncode("a+b=c&d/e?f#g") == "a%2Bb%3Dc%26d%2Fe%3Ff%23g");
  CHECK(UrlEncode("SELECT Id FROM Account WHERE Name = 'x'") ==
        "SELECT%20Id%20FROM%20Account%20WHERE%20Name%20%3D%20%27x%27");
  CHECK(UrlEncode("\xC3\xA9") == "%C3%A9");
  CHECK(UrlEncode("") == "");
  CHECK(crmx::http::FormEncode({{"grant_type", "client_credentials"}, {"client id", "a&b"}, {"empty", ""}}) ==
        "grant_type=client_credentials&client%20id=a%26b&empty=");
}
