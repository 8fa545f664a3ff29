// Defines TempDir: a private temporary directory for one command (the dry run's copy of the
// state in `crmx-run queue replay --dry-run`, the spill files of `crmx-run diff`), removed
// with everything in it when the object goes.
#pragma once

#include <string>

namespace crmx::queue {

class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // Creates `<parent>/crmx-<prefix>-XXXXXX` (parent "": $TMPDIR, else /tmp). False with
  // `error` saying where and why it could not; `purpose` says what the directory is for.
  bool Make(const std::string& parent, const std::string& prefix, const std::string& purpose, std::string& error);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace crmx::queue
