// Defines the language server's message loop, lifecycle and dispatch (server.h).
#include "compiler/lsp/server.h"

#include <exception>
#include <filesystem>
#include <sstream>

#include "compiler/driver/version.h"
#include "compiler/lsp/document_features.h"
#include "compiler/lsp/features.h"

namespace crmx::lsp {

namespace {

// A request that cannot be answered with a result: becomes an error response.
struct RequestError {
  ErrorCode code;
  std::string message;
};

const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_json;
  if (!j.is_object()) return null_json;
  auto it = j.find(key);
  return it == j.end() ? null_json : *it;
}

std::string StringMember(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// The URI a request or notification names in `textDocument.uri`.
std::string UriOf(const nlohmann::json& params) {
  std::string uri = StringMember(Member(params, "textDocument"), "uri");
  if (uri.empty()) throw RequestError{ErrorCode::InvalidParams, "`textDocument.uri` is missing"};
  return uri;
}

int VersionOf(const nlohmann::json& params) {
  const nlohmann::json& v = Member(Member(params, "textDocument"), "version");
  return v.is_number_integer() ? v.get<int>() : 0;
}

std::string IdText(const nlohmann::json& id) { return id.is_null() ? "-" : id.dump(); }

}  // namespace

std::string DefaultErrorDocsDir() {
#ifdef CRMX_SOURCE_DIR
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(CRMX_SOURCE_DIR) / "docs" / "errors";
  if (std::filesystem::is_directory(dir, ec)) return dir.string();
#endif
  return "";
}

int Server::Run() {
  while (!exit_) {
    Incoming in = transport_.Read();
    if (in.status == Incoming::Status::End) break;
    if (in.status == Incoming::Status::Malformed) {
      // No id can be known: JSON-RPC answers a parse error with a null id.
      transport_.RespondError(nullptr, ErrorCode::ParseError, in.error);
      continue;
    }
    Handle(in.message);
  }
  Log("exit after " + std::string(state_ == State::ShutDown ? "shutdown" : "no shutdown"));
  return state_ == State::ShutDown ? 0 : 1;
}

void Server::Handle(const nlohmann::json& message) {
  if (!message.is_object()) {
    transport_.RespondError(nullptr, ErrorCode::InvalidRequest,
                            message.is_array() ? "batches of messages are not supported" : "a message must be an object");
    return;
  }
  const nlohmann::json& id = Member(message, "id");
  bool has_id = message.contains("id");
  if (has_id && !id.is_string() && !id.is_number_integer()) {
    transport_.RespondError(nullptr, ErrorCode::InvalidRequest, "`id` must be a string or an integer");
    return;
  }
  const nlohmann::json& method = Member(message, "method");
  if (!message.contains("method")) {
    // A response to a request of ours: the server sends none, so there is nothing to match.
    if (has_id && (message.contains("result") || message.contains("error"))) return;
    transport_.RespondError(has_id ? id : nlohmann::json(nullptr), ErrorCode::InvalidRequest,
                            "a message needs a `method`");
    return;
  }
  if (!method.is_string()) {
    if (has_id) transport_.RespondError(id, ErrorCode::InvalidRequest, "`method` must be a string");
    return;
  }
  const nlohmann::json& params = Member(message, "params");
  auto start = std::chrono::steady_clock::now();
  if (has_id) HandleRequest(id, method.get<std::string>(), params);
  else HandleNotification(method.get<std::string>(), params);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream line;
  line.precision(3);
  line << method.get<std::string>() << " id=" << IdText(id) << " " << std::fixed << ms << " ms";
  Log(line.str());
}

void Server::HandleRequest(const nlohmann::json& id, const std::string& method, const nlohmann::json& params) {
  if (method == "initialize") {
    if (state_ != State::Starting) {
      transport_.RespondError(id, ErrorCode::InvalidRequest, "`initialize` was already received");
      return;
    }
    state_ = State::Running;
    transport_.Respond(id, Initialize(params));
    return;
  }
  if (state_ == State::Starting) {
    transport_.RespondError(id, ErrorCode::ServerNotInitialized, "the server is not initialized: send `initialize` first");
    return;
  }
  if (state_ == State::ShutDown) {
    transport_.RespondError(id, ErrorCode::InvalidRequest, "the server is shut down: only `exit` is accepted");
    return;
  }
  try {
    nlohmann::json result;
    if (method == "shutdown") {
      state_ = State::ShutDown;
      result = nullptr;
    } else if (method == "textDocument/hover") {
      result = Hover(Open(params), PositionFromJson(Member(params, "position")));
    } else if (method == "textDocument/definition") {
      result = Definition(Open(params), PositionFromJson(Member(params, "position")));
    } else if (method == "textDocument/completion") {
      result = Completion(Open(params), PositionFromJson(Member(params, "position")));
    } else if (method == "textDocument/documentSymbol") {
      result = DocumentSymbols(Open(params));
    } else if (method == "textDocument/semanticTokens/full") {
      result = SemanticTokens(Open(params));
    } else if (method == "textDocument/codeAction") {
      result = CodeActions(Open(params), params);
    } else if (method == "textDocument/formatting") {
      FormatOutcome f = FormatDocument(Open(params));
      if (!f.ok) throw RequestError{ErrorCode::RequestFailed, f.error};
      result = std::move(f.edits);
    } else {
      throw RequestError{ErrorCode::MethodNotFound, "unknown method `" + method + "`"};
    }
    transport_.Respond(id, std::move(result));
  } catch (const RequestError& e) {
    transport_.RespondError(id, e.code, e.message);
  } catch (const nlohmann::json::exception& e) {
    // A member of the wrong type (`"line": "3"`): the request's fault, not the server's.
    transport_.RespondError(id, ErrorCode::InvalidParams, std::string("invalid parameters: ") + e.what());
  } catch (const std::exception& e) {
    transport_.RespondError(id, ErrorCode::InternalError, std::string("internal error: ") + e.what());
  }
}

void Server::HandleNotification(const std::string& method, const nlohmann::json& params) {
  if (method == "exit") {
    exit_ = true;
    return;
  }
  // Before `initialize` every notification but `exit` is dropped, as the protocol says.
  if (state_ != State::Running) return;
  try {
    if (method == "textDocument/didOpen") DidOpen(params);
    else if (method == "textDocument/didChange") DidChange(params);
    else if (method == "textDocument/didClose") DidClose(params);
    else if (method == "textDocument/didSave") DidSave(params);
    // `initialized`, `$/cancelRequest` (every request is answered before the next message is
    // read, so there is never one to cancel), `$/setTrace` and unknown notifications: nothing
    // to do.
  } catch (const RequestError& e) {
    Log(method + ": " + e.message);
  } catch (const std::exception& e) {
    Log(method + ": " + e.what());
  }
}

nlohmann::json Server::Initialize(const nlohmann::json&) {
  nlohmann::json capabilities = {
      {"positionEncoding", "utf-16"},
      {"textDocumentSync", {{"openClose", true}, {"change", 1}, {"save", {{"includeText", false}}}}},
      {"hoverProvider", true},
      {"definitionProvider", true},
      {"completionProvider", {{"triggerCharacters", {"."}}, {"resolveProvider", false}}},
      {"documentSymbolProvider", true},
      {"documentFormattingProvider", true},
      {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
      {"semanticTokensProvider", {{"legend", SemanticTokensLegend()}, {"full", true}, {"range", false}}},
  };
  return {{"capabilities", capabilities}, {"serverInfo", {{"name", "crmxc"}, {"version", kVersion}}}};
}

void Server::DidOpen(const nlohmann::json& params) {
  const nlohmann::json& item = Member(params, "textDocument");
  std::string uri = UriOf(params);
  const nlohmann::json& text = Member(item, "text");
  if (!text.is_string()) throw RequestError{ErrorCode::InvalidParams, "`textDocument.text` is missing"};
  auto [it, inserted] = docs_.insert_or_assign(uri, Document(uri, PathFromUri(uri), text.get<std::string>(), VersionOf(params)));
  Publish(it->second);
}

void Server::DidChange(const nlohmann::json& params) {
  std::string uri = UriOf(params);
  auto it = docs_.find(uri);
  if (it == docs_.end()) throw RequestError{ErrorCode::InvalidParams, "`" + uri + "` is not open"};
  std::string text = it->second.text();
  const nlohmann::json& changes = Member(params, "contentChanges");
  if (!changes.is_array()) throw RequestError{ErrorCode::InvalidParams, "`contentChanges` is missing"};
  for (const nlohmann::json& change : changes) {
    const nlohmann::json& new_text = Member(change, "text");
    if (!new_text.is_string()) continue;
    const nlohmann::json& range = Member(change, "range");
    if (range.is_object()) {
      // An incremental change, although the server asks for full ones: applied all the same.
      Document current(uri, "", text, 0);
      size_t begin = current.Offset(PositionFromJson(Member(range, "start")));
      size_t end = current.Offset(PositionFromJson(Member(range, "end")));
      if (end < begin) std::swap(begin, end);
      text.replace(begin, end - begin, new_text.get<std::string>());
    } else {
      text = new_text.get<std::string>();
    }
  }
  it->second = Document(uri, PathFromUri(uri), std::move(text), VersionOf(params));
  Publish(it->second);
}

void Server::DidClose(const nlohmann::json& params) {
  std::string uri = UriOf(params);
  docs_.erase(uri);
  transport_.Notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", nlohmann::json::array()}});
}

void Server::DidSave(const nlohmann::json&) {
  // Imports, schemas and tables are read from disk: a saved file may change what the other
  // open documents report, so all of them are checked again.
  for (const auto& [uri, doc] : docs_) Publish(doc);
}

void Server::Publish(const Document& doc) {
  auto start = std::chrono::steady_clock::now();
  nlohmann::json diagnostics = CheckDocument(doc, options_.error_docs_dir);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream line;
  line.precision(3);
  line << "check " << doc.uri() << " v" << doc.version() << ": " << diagnostics.size() << " diagnostics, " << std::fixed
       << ms << " ms";
  Log(line.str());
  transport_.Notify("textDocument/publishDiagnostics",
                    {{"uri", doc.uri()}, {"version", doc.version()}, {"diagnostics", std::move(diagnostics)}});
}

const Document& Server::Open(const nlohmann::json& params) const {
  std::string uri = UriOf(params);
  auto it = docs_.find(uri);
  if (it == docs_.end()) throw RequestError{ErrorCode::InvalidParams, "`" + uri + "` is not open"};
  return it->second;
}

void Server::Log(const std::string& line) {
  if (options_.log == nullptr) return;
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  std::ostringstream stamp;
  stamp.precision(1);
  stamp << std::fixed << "[" << ms << " ms] ";
  *options_.log << stamp.str() << line << "\n";
  options_.log->flush();
}

}  // namespace crmx::lsp
