// Defines TestServer: a small HTTP/1.1 server on 127.0.0.1 (raw sockets, one thread per
// connection) for the http and auth tests. A handler answers each request, or closes the
// connection without answering, or resets it; the server counts accepted TCP connections so a
// test can see whether a client reused one. Header-only; not for production use.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace crmx::testing {

struct ServerRequest {
  std::string method;
  std::string target;  // "/path?query"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() == name.size() &&
          std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return value;
      }
    }
    return {};
  }
};

struct ServerReply {
  enum class Action { kAnswer, kClose, kReset };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Action action = Action::kAnswer;
  std::chrono::milliseconds delay{0};  // before answering
};

class TestServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    // Requests to 127.0.0.1 must not go through a proxy the environment may name.
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(connections_);
    }
    for (auto& t : threads) t.join();
    close(listen_fd_);
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int Port() const { return port_; }
  std::string Url(const std::string& target = "") const { return "http://127.0.0.1:" + std::to_string(port_) + target; }
  int Accepted() const { return accepted_; }
  std::vector<ServerRequest> Requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  // A port on 127.0.0.1 where nothing listens (bound, then closed).
  static int ClosedPort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  // Waits until `fd` is readable or the server stops; false on stop.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void AcceptLoop() {
    while (WaitReadable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mutex_);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads one request; false when the peer closed or the server stops.
  bool ReadRequest(int fd, std::string& buffer, ServerRequest& req) {
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!WaitReadable(fd)) return false;
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.find(' ', sp1 + 1);
    req.method = request_line.substr(0, sp1);
    req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(pos, next - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers.emplace_back(line.substr(0, colon), value);
      }
      pos = next + 2;
    }
    std::string length = req.Header("Content-Length");
    size_t want = length.empty() ? 0 : std::stoul(length);
    while (buffer.size() < want) {
      if (!WaitReadable(fd)) return false;
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    req.body = buffer.substr(0, want);
    buffer.erase(0, want);
    return true;
  }

  void Serve(int fd) {
    std::string buffer;
    ServerRequest req;
    while (ReadRequest(fd, buffer, req)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(req);
      }
      ServerReply reply = handler_(req);
      auto until = std::chrono::steady_clock::now() + reply.delay;
      while (!stop_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (reply.action == ServerReply::Action::kReset) {
        linger l{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        break;
      }
      if (reply.action == ServerReply::Action::kClose || stop_) break;
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Status\r\n";
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
      for (const auto& [name, value] : reply.headers) out += name + ": " + value + "\r\n";
      out += "\r\n" + reply.body;
      size_t sent = 0;
      while (sent < out.size()) {
        ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      req = ServerRequest{};
    }
    close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::vector<ServerRequest> requests_;
};

}  // namespace crmx::testing
