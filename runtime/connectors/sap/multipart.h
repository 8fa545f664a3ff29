// Defines the multipart/mixed framing of OData V2 `$batch` (OData V2 protocol, "Batch
// Processing"; SAP Gateway's $batch): a batch is parts separated by `--boundary` lines, each
// part either one request/answer (`Content-Type: application/http`, an HTTP message as its
// content) or a changeset (`Content-Type: multipart/mixed; boundary=...`), whose parts are
// requests applied all or none. Header-only and dependency-free: the SAP connector builds
// requests and reads answers with it, crmx-emulate's SAP mode reads requests and writes answers.
// CRLF line ends are written; CRLF or LF are read.
#pragma once

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crmx::sap_multipart {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP message inside a batch: a request (method and target set) or an answer (status set).
struct Message {
  std::string method;  // requests: "GET", "POST", "PATCH", ...
  std::string target;  // requests: "A_SalesOrder?$filter=..." (relative to the service root)
  int status = 0;      // answers: 201, 400, ...
  Headers headers;
  std::string body;
  // The value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i)
        same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
      if (same) return v;
    }
    return {};
  }
};

// One part of a batch: a single message, or a changeset's messages.
struct Part {
  bool changeset = false;
  std::vector<Message> messages;  // one when not a changeset
};

inline std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// The `boundary` parameter of a multipart Content-Type ("multipart/mixed; boundary=batch_1"),
// quotes removed; "" when there is none.
inline std::string Boundary(std::string_view content_type) {
  std::string lower;
  for (char c : content_type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower.find("boundary=");
  if (at == std::string::npos) return {};
  std::string_view b = content_type.substr(at + 9);
  size_t end = b.find(';');
  std::string out = Trim(b.substr(0, end));
  if (out.size() >= 2 && out.front() == '"' && out.back() == '"') out = out.substr(1, out.size() - 2);
  return out;
}

// Splits `text` at its lines (CRLF or LF ends removed).
inline std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

// The contents between `--boundary` lines, up to `--boundary--`. False when the closing
// delimiter is missing (a cut answer).
inline bool SplitParts(std::string_view body, const std::string& boundary, std::vector<std::string>& parts) {
  const std::string open = "--" + boundary, close = "--" + boundary + "--";
  bool in = false, closed = false;
  std::string current;
  for (std::string_view line : Lines(body)) {
    std::string t = Trim(line);
    if (t == close) {
      if (in) parts.push_back(current);
      closed = true;
      break;
    }
    if (t == open) {
      if (in) parts.push_back(current);
      in = true;
      current.clear();
      continue;
    }
    if (in) {
      current.append(line);
      current += "\r\n";
    }
  }
  // The CRLF before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
  for (std::string& p : parts)
    if (p.size() >= 2 && p.compare(p.size() - 2, 2, "\r\n") == 0) p.resize(p.size() - 2);
  return closed;
}

// Reads a header block ending at an empty line; `rest` gets what follows it.
inline void ReadHeaders(std::string_view text, Headers& headers, std::string_view& rest) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  rest = pos > text.size() ? std::string_view() : text.substr(pos);
}

// An `application/http` part's content: a request line ("POST A_SalesOrder HTTP/1.1") or a
// status line ("HTTP/1.1 201 Created"), headers, a blank line, the body.
inline bool ReadMessage(std::string_view content, Message& m) {
  size_t nl = content.find('\n');
  std::string first = Trim(content.substr(0, nl));
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
  if (first.rfind("HTTP/", 0) == 0) {
    size_t sp = first.find(' ');
    if (sp == std::string::npos) return false;
    m.status = std::atoi(first.c_str() + sp + 1);
    if (m.status < 100) return false;
  } else {
    size_t sp1 = first.find(' ');
    if (sp1 == std::string::npos) return false;
    size_t sp2 = first.find(' ', sp1 + 1);
    m.method = first.substr(0, sp1);
    m.target = first.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
  }
  std::string_view body;
  ReadHeaders(rest, m.headers, body);
  m.body = Trim(body);
  while (!m.body.empty() && (m.body.back() == '\n' || m.body.back() == '\r')) m.body.pop_back();
  return true;
}

// Reads a whole batch body whose Content-Type has `boundary`. False with `error` when it is
// not a well-formed batch.
inline bool Parse(std::string_view body, const std::string& boundary, std::vector<Part>& out, std::string& error) {
  std::vector<std::string> parts;
  if (boundary.empty()) {
    error = "the batch has no multipart boundary";
    return false;
  }
  if (!SplitParts(body, boundary, parts)) {
    error = "the batch does not end with --" + boundary + "--";
    return false;
  }
  for (const std::string& p : parts) {
    Headers headers;
    std::string_view content;
    ReadHeaders(p, headers, content);
    Message probe;
    probe.headers = headers;
    std::string type = probe.Header("Content-Type");
    Part part;
    if (type.find("multipart/mixed") != std::string::npos) {
      part.changeset = true;
      std::vector<std::string> inner;
      std::string cs = Boundary(type);
      if (cs.empty() || !SplitParts(content, cs, inner)) {
        error = "a changeset of the batch is not well formed";
        return false;
      }
      for (const std::string& q : inner) {
        Headers h;
        std::string_view c;
        ReadHeaders(q, h, c);
        Message m;
        if (!ReadMessage(c, m)) {
          error = "a changeset part is not an HTTP message";
          return false;
        }
        part.messages.push_back(std::move(m));
      }
    } else {
      Message m;
      if (!ReadMessage(content, m)) {
        error = "a batch part is not an HTTP message";
        return false;
      }
      part.messages.push_back(std::move(m));
    }
    out.push_back(std::move(part));
  }
  return true;
}

// Appends one `application/http` part holding `m` (a request when `m.method` is set, else an
// answer) after the delimiter `--boundary`.
inline void AppendMessage(std::string& out, const std::string& boundary, const Message& m) {
  out += "--" + boundary + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n";
  if (!m.method.empty()) {
    out += m.method + " " + m.target + " HTTP/1.1\r\n";
  } else {
    out += "HTTP/1.1 " + std::to_string(m.status) + " " + (m.status < 300 ? "OK" : "Error") + "\r\n";
  }
  for (const auto& [k, v] : m.headers) out += k + ": " + v + "\r\n";
  if (!m.body.empty()) out += "Content-Length: " + std::to_string(m.body.size()) + "\r\n";
  out += "\r\n" + m.body + "\r\n";
}

// The body of a batch of `parts`: changesets get the boundary `changeset_<n>` of their
// index. Closed with `--boundary--`.
inline std::string Build(const std::string& boundary, const std::vector<Part>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    if (!p.changeset) {
      if (!p.messages.empty()) AppendMessage(out, boundary, p.messages.front());
      continue;
    }
    std::string cs = "changeset_" + std::to_string(i + 1);
    out += "--" + boundary + "\r\nContent-Type: multipart/mixed; boundary=" + cs + "\r\n\r\n";
    for (const Message& m : p.messages) AppendMessage(out, cs, m);
    out += "--" + cs + "--\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace crmx::sap_multipart
