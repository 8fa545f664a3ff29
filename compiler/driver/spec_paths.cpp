// Defines ExpandSpecPaths (spec_paths.h).
#include "compiler/driver/spec_paths.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace crmx::driver {

namespace fs = std::filesystem;

bool ExpandSpecPaths(const std::vector<std::string>& in, const PathOptions& opt, std::vector<std::string>& out) {
  for (const std::string& p : in) {
    std::error_code ec;
    if (opt.allow_stdin && p == "-") {
      out.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".crmx") found.push_back(it->path().string());
      }
      if (ec) {
        std::cerr << "error: cannot read directory `" << p << "`: " << ec.message() << "\n";
        return false;
      }
      std::sort(found.begin(), found.end());
      if (found.empty() && opt.empty_dir_is_error) {
        std::cerr << "error: no .crmx files under `" << p << "`\n";
        return false;
      }
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      std::cerr << "error: cannot read `" << p << "`: no such file or directory\n";
      return false;
    }
  }
  return true;
}

}  // namespace crmx::driver
