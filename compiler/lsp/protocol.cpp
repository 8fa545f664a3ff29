// Defines the JSON-RPC transport of `crmxc lsp` (protocol.h): reading `Content-Length` framed
// messages, with resynchronisation after garbage, and writing them.
#include "compiler/lsp/protocol.h"

#include <algorithm>
#include <cctype>

namespace crmx::lsp {

namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The position of `needle` (lowercase) in `hay`, ignoring case; npos when absent.
size_t FindNoCase(const std::string& hay, const std::string& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return Lower(a) == b; });
  return it == hay.end() ? std::string::npos : static_cast<size_t>(it - hay.begin());
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// A printable excerpt of garbage for the log and the error message.
std::string Excerpt(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 40)) out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : '?');
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

Transport::Line Transport::ReadLine(std::string& line) {
  line.clear();
  bool too_long = false;
  for (;;) {
    int c = in_.get();
    if (c == std::char_traits<char>::eof()) return Line::End;
    if (c == '\n') break;
    if (line.size() < kMaxHeaderLine) line.push_back(static_cast<char>(c));
    else too_long = true;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return too_long ? Line::TooLong : Line::Ok;
}

Incoming Transport::Read() {
  Incoming result;
  bool any_header = false;
  bool have_length = false;
  size_t length = 0;
  std::string problem;  // why the header block has no usable length
  for (;;) {
    std::string line;
    Line r = ReadLine(line);
    if (r == Line::End) {
      result.status = Incoming::Status::End;
      return result;
    }
    // Where a header starts in the line: both headers the protocol defines mark the start of
    // a message when reading resynchronises.
    size_t at = std::string::npos;
    if (r == Line::Ok) at = std::min(FindNoCase(line, "content-length:"), FindNoCase(line, "content-type:"));
    if (resync_) {
      // Skipping what follows a malformed message, up to the next header.
      if (at == std::string::npos) continue;
      resync_ = false;
      line = line.substr(at);
    } else if (at != std::string::npos && at > 0 && !any_header) {
      // A body longer than its length said, run into the next header: the extra bytes are
      // garbage, the header is good.
      if (log_) *log_ << "lsp: skipped garbage before a header: " << Excerpt(line.substr(0, at)) << "\n";
      line = line.substr(at);
    }
    if (r == Line::TooLong) {
      any_header = true;
      if (problem.empty()) problem = "a header line longer than " + std::to_string(kMaxHeaderLine) + " bytes";
      continue;
    }
    if (line.empty()) {
      if (!any_header) continue;  // stray blank lines between messages
      break;
    }
    any_header = true;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (problem.empty()) problem = "`" + Excerpt(line) + "` is not a header";
      continue;
    }
    std::string name = Trim(line.substr(0, colon));
    std::string value = Trim(line.substr(colon + 1));
    std::transform(name.begin(), name.end(), name.begin(), Lower);
    if (name != "content-length") continue;  // Content-Type and anything else: not needed
    bool digits = !value.empty() && value.size() <= 18 &&
                  std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      have_length = false;
      problem = "`Content-Length: " + Excerpt(value) + "` is not a length";
      continue;
    }
    length = static_cast<size_t>(std::stoull(value));
    have_length = true;
  }
  if (!have_length) {
    result.status = Incoming::Status::Malformed;
    result.error = problem.empty() ? "a message without a `Content-Length` header" : problem;
    resync_ = true;
    if (log_) *log_ << "lsp: malformed header: " << result.error << "\n";
    return result;
  }
  if (length > kMaxBody) {
    in_.ignore(static_cast<std::streamsize>(length));
    result.status = in_.eof() ? Incoming::Status::End : Incoming::Status::Malformed;
    result.error = "a message of " + std::to_string(length) + " bytes (the limit is " + std::to_string(kMaxBody) + ")";
    return result;
  }
  std::string body(length, '\0');
  in_.read(body.data(), static_cast<std::streamsize>(length));
  if (static_cast<size_t>(in_.gcount()) < length) {
    result.status = Incoming::Status::End;
    return result;
  }
  result.message = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (result.message.is_discarded()) {
    result.status = Incoming::Status::Malformed;
    result.error = "the message is not valid JSON";
    result.message = nullptr;
    // A length that was too short leaves the rest of the body in the stream: skip it.
    resync_ = true;
    if (log_) *log_ << "lsp: invalid JSON: " << Excerpt(body) << "\n";
    return result;
  }
  result.status = Incoming::Status::Message;
  return result;
}

void Transport::Send(const nlohmann::json& message) {
  std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out_ << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out_.flush();
}

void Transport::Respond(const nlohmann::json& id, nlohmann::json result) {
  Send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void Transport::RespondError(const nlohmann::json& id, ErrorCode code, const std::string& message) {
  Send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", static_cast<int>(code)}, {"message", message}}}});
}

void Transport::Notify(const std::string& method, nlohmann::json params) {
  Send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

}  // namespace crmx::lsp
