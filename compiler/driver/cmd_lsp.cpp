// Defines `crmxc lsp [--log FILE] [--error-docs DIR]`: the language server (compiler/lsp/) over
// standard input and output. The protocol owns standard output: anything else the process
// would print there goes to standard error instead. Exit status 0 after `shutdown` and
// `exit`, 1 when the input ends or `exit` comes without `shutdown` (the protocol's rule), 2
// for a usage error.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <streambuf>
#include <string>

#include "compiler/driver/commands.h"
#include "compiler/lsp/protocol.h"
#include "compiler/lsp/server.h"

namespace crmx::driver {

namespace {

struct LspOptions {
  std::string log;
  std::string error_docs;
  bool stdio = false;
};

// An output stream buffer over a C stream (the protocol's copy of standard output).
class FileBuf : public std::streambuf {
 public:
  explicit FileBuf(std::FILE* f) : f_(f) {}

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    return std::fputc(c, f_) == EOF ? traits_type::eof() : c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<size_t>(n), f_));
  }
  int sync() override { return std::fflush(f_) == 0 ? 0 : -1; }

 private:
  std::FILE* f_;
};

int RunLsp(const LspOptions& opt) {
  std::unique_ptr<std::ofstream> log_file;
  std::ostream* log = nullptr;
  if (opt.log == "-") {
    log = &std::cerr;
  } else if (!opt.log.empty()) {
    log_file = std::make_unique<std::ofstream>(opt.log, std::ios::app);
    if (!*log_file) {
      std::cerr << "error: cannot write the log `" << opt.log << "`\n";
      return 2;
    }
    log = log_file.get();
  }
  // The messages go to a copy of standard output; standard output itself becomes standard
  // error, so a stray print cannot corrupt the stream of messages.
  std::fflush(stdout);
  int protocol_fd = dup(STDOUT_FILENO);
  std::FILE* protocol = protocol_fd >= 0 ? fdopen(protocol_fd, "wb") : nullptr;
  if (protocol == nullptr) {
    std::cerr << "error: cannot set up standard output for the language server\n";
    return 2;
  }
  dup2(STDERR_FILENO, STDOUT_FILENO);
  FileBuf buf(protocol);
  std::ostream out(&buf);

  lsp::Transport transport(std::cin, out, log);
  lsp::ServerOptions options;
  options.error_docs_dir = opt.error_docs.empty() ? lsp::DefaultErrorDocsDir() : opt.error_docs;
  options.log = log;
  lsp::Server server(transport, options);
  int status = server.Run();
  out.flush();
  std::fclose(protocol);
  return status;
}

}  // namespace

void RegisterLsp(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<LspOptions>();
  CLI::App* cmd = root.add_subcommand("lsp", "Run the language server (Language Server Protocol over stdio)");
  cmd->add_option("--log", opt->log, "Append a line per message handled (method, id, milliseconds) to FILE (- for stderr)");
  cmd->add_option("--error-docs", opt->error_docs,
                  "Folder of the error index (EXXXX.md pages) that diagnostic codes link to "
                  "(default: docs/errors of the source tree crmxc was built from, when present)");
  // Language clients (vscode-languageclient) pass --stdio; standard I/O is the only transport.
  cmd->add_flag("--stdio", opt->stdio, "Use standard input and output (the default and only transport)");
  cmd->callback([opt, &exit_code] { exit_code = RunLsp(*opt); });
}

}  // namespace crmx::driver
