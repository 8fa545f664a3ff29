// Declares ExpandSpecPaths: the .crmx files the paths of a command line name (`check`, `fmt`).
#pragma once

#include <string>
#include <vector>

namespace crmx::driver {

struct PathOptions {
  bool allow_stdin = false;         // `-` (standard input) is kept as given
  bool empty_dir_is_error = false;  // a directory without a .crmx file under it is an error
};

// Directories become the .crmx files under them (recursive, sorted); files are kept as given.
// False, after printing why on stderr, for a path that does not exist or a directory that cannot
// be read (a usage error: exit status 2).
bool ExpandSpecPaths(const std::vector<std::string>& in, const PathOptions& opt, std::vector<std::string>& out);

}  // namespace crmx::driver
