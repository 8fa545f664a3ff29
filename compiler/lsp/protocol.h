// Defines the transport of the language server (`crmxc lsp`): JSON-RPC 2.0 messages framed
// with a `Content-Length` header over a byte stream (the server's stdin and stdout), as the
// Language Server Protocol's base protocol says, and the JSON-RPC error codes it uses.
//
// Hand-rolled on nlohmann/json, as clangd's JSONTransport and nixd do: the framing is a header
// block (`Content-Length: N`, an optional `Content-Type`, each line ended by CRLF, a blank line)
// followed by exactly N bytes of JSON. The reader never throws and never stops on garbage: a
// header block without a usable length or a body that is not JSON is returned as Malformed
// (the server answers with a -32700 error), and reading resynchronises on the next header.
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace crmx::lsp {

// JSON-RPC 2.0 and LSP error codes.
enum class ErrorCode : int {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ServerNotInitialized = -32002,
  RequestFailed = -32803,
};

// One message read from the stream.
struct Incoming {
  enum class Status {
    Message,    // `message` holds the parsed JSON body (any JSON value: the server validates it)
    Malformed,  // a header block or body that cannot be read; `error` says why
    End,        // the stream ended (possibly in the middle of a message)
  };
  Status status = Status::End;
  nlohmann::json message;
  std::string error;
};

class Transport {
 public:
  // `in` and `out` must outlive the transport and be binary streams. `log`, when not null,
  // receives one line per framing problem.
  Transport(std::istream& in, std::ostream& out, std::ostream* log = nullptr) : in_(in), out_(out), log_(log) {}

  // Reads the next message; blocks until one is complete or the stream ends.
  Incoming Read();

  // Writes one message with its `Content-Length` header and flushes. Strings that are not
  // valid UTF-8 are written with U+FFFD in place of the bad bytes, never refused.
  void Send(const nlohmann::json& message);
  // The three kinds of messages a server sends.
  void Respond(const nlohmann::json& id, nlohmann::json result);
  void RespondError(const nlohmann::json& id, ErrorCode code, const std::string& message);
  void Notify(const std::string& method, nlohmann::json params);

  // Bodies larger than this are refused (the bytes are skipped): a bad length must not make
  // the server allocate gigabytes.
  static constexpr size_t kMaxBody = 64u << 20;
  // Header lines longer than this are garbage (read and dropped, never held whole).
  static constexpr size_t kMaxHeaderLine = 4096;

 private:
  enum class Line { Ok, TooLong, End };
  // Reads one line without its "\n" (and a "\r" before it).
  Line ReadLine(std::string& line);

  std::istream& in_;
  std::ostream& out_;
  std::ostream* log_;
  // After a malformed message, lines up to the next header (`Content-Length` or
  // `Content-Type`) are skipped
  // without another error: one piece of garbage gets one answer.
  bool resync_ = false;
};

}  // namespace crmx::lsp
