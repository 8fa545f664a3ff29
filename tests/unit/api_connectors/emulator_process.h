// Defines EmulatorProcess, a `crmx-emulate` started for a test (emulators/): the binary named by
// CRMX_EMULATE, run with the test's arguments on a free port, its URL read from the first line it
// prints, stopped (SIGTERM to its own pid) when the object goes away; and EmulatorWanted, which
// says (as a doctest MESSAGE) that a case is skipped when CRMX_EMULATE is not set.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace crmx::testing {

class EmulatorProcess {
 public:
  // `args` after the binary: the vendor and its options ("salesforce", "--port", "0", ...).
  explicit EmulatorProcess(std::vector<std::string> args) {
    const char* bin = std::getenv("CRMX_EMULATE");
    if (bin == nullptr || *bin == 0) return;
    // The tests talk to 127.0.0.1: never through a proxy the environment names.
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    args.insert(args.begin(), bin);
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[512];
    if (out_ != nullptr && std::fgets(line, sizeof line, out_) != nullptr) {
      std::string l(line);
      const std::string prefix = "listening on ";
      if (l.rfind(prefix, 0) == 0) url_ = l.substr(prefix.size(), l.find_last_not_of("\r\n") + 1 - prefix.size());
    }
  }
  ~EmulatorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  // "http://127.0.0.1:PORT", "" when it did not start.
  const std::string& url() const { return url_; }
  // The body of a GET of `path` (an inspection endpoint: "/_emulator/journal"); "" on no answer.
  std::string Get(const std::string& path) const {
    httplib::Client c(url_);
    auto r = c.Get(path);
    return r ? r->body : std::string();
  }
  // `head` then `tail`: a vendor's fixed arguments before a case's own.
  static std::vector<std::string> Args(std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string url_;
};

// False, with a doctest MESSAGE saying the case is skipped, when CRMX_EMULATE is not set.
inline bool EmulatorWanted() {
  const char* bin = std::getenv("CRMX_EMULATE");
  if (bin == nullptr || *bin == 0) {
    MESSAGE("skipped: set CRMX_EMULATE to the crmx-emulate binary");
    return false;
  }
  setenv("no_proxy", "127.0.0.1,localhost", 1);
  setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  return true;
}

}  // namespace crmx::testing
