// Defines the language server of crmx (`crmxc lsp`): the message loop over a Transport
// (protocol.h), the server's lifecycle (initialize, shutdown, exit), the documents the editor
// has open, and the dispatch of requests to the features (features.h, document_features.h).
//
// One thread, one message at a time, in order: every notification and request is handled
// before the next is read, so a response or a publishDiagnostics always follows the message
// that caused it (what the transcript tests rely on). Documents are synced in full.
#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/lsp/document.h"
#include "compiler/lsp/protocol.h"

namespace crmx::lsp {

struct ServerOptions {
  // The folder of the error index (docs/errors); diagnostics' codes link to EXXXX.md there.
  // Empty: no links.
  std::string error_docs_dir;
  // When not null: one line per message handled (method, id, milliseconds) and per framing
  // problem. Document text is never logged.
  std::ostream* log = nullptr;
};

// The error index of the source tree `crmxc` was built from (its docs/errors), when that
// folder exists on this machine; "" otherwise.
std::string DefaultErrorDocsDir();

class Server {
 public:
  Server(Transport& transport, ServerOptions options) : transport_(transport), options_(std::move(options)) {}

  // Runs until the `exit` notification or the end of the input. Returns the process exit
  // status the protocol asks for: 0 when `shutdown` came first, 1 otherwise.
  int Run();

 private:
  enum class State { Starting, Running, ShutDown };

  void Handle(const nlohmann::json& message);
  void HandleRequest(const nlohmann::json& id, const std::string& method, const nlohmann::json& params);
  void HandleNotification(const std::string& method, const nlohmann::json& params);

  nlohmann::json Initialize(const nlohmann::json& params);
  void DidOpen(const nlohmann::json& params);
  void DidChange(const nlohmann::json& params);
  void DidClose(const nlohmann::json& params);
  void DidSave(const nlohmann::json& params);
  // Checks `doc` and publishes its diagnostics.
  void Publish(const Document& doc);
  // The open document a request's `textDocument.uri` names; throws InvalidParams otherwise.
  const Document& Open(const nlohmann::json& params) const;

  void Log(const std::string& line);

  Transport& transport_;
  ServerOptions options_;
  State state_ = State::Starting;
  bool exit_ = false;
  std::map<std::string, Document> docs_;  // by URI
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace crmx::lsp
