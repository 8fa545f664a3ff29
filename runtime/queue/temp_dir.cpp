// Defines TempDir (temp_dir.h) on mkdtemp(3).
#include "runtime/queue/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace crmx::queue {

namespace fs = std::filesystem;

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

bool TempDir::Make(const std::string& parent, const std::string& prefix, const std::string& purpose,
                   std::string& error) {
  std::error_code ec;
  fs::path base = parent.empty() ? fs::temp_directory_path(ec) : fs::path(parent);
  if (ec) {
    error = "no temporary directory for " + purpose + ": " + ec.message() + " (set TMPDIR)";
    return false;
  }
  std::string tmpl = (base / ("crmx-" + prefix + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    error = "cannot create a temporary directory in " + base.string() + " for " + purpose + ": " +
            std::strerror(errno);
    return false;
  }
  path_ = buf.data();
  return true;
}

}  // namespace crmx::queue
