// Defines the systems and state path of crmx-run's commands (systems.h).
#include "runtime/cli/systems.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "runtime/connectors/api/open_api.h"

namespace crmx::cli {

namespace fs = std::filesystem;

void AddSystemOptions(CLI::App* cmd, SystemArgs& args, const std::string& verb) {
  cmd->add_option("--system", args.systems,
                  "NAME=WHERE: " + verb + " system NAME on a local directory of Object.jsonl / Object.csv files or a "
                  "SQLite database (.db/.sqlite, or sqlite:PATH) instead of its profile entry")
      ->allow_extra_args(false);  // one value per --system: the plan or the item ids may follow
  cmd->add_option("--profiles", args.profiles,
                  "The profile file (default: crmx.profiles.yaml here, else beside the plan; docs/profiles.md)");
  cmd->add_option("--target", args.target, "The profile's target (default: the file's default_target)");
}

std::string FindProfiles(const SystemArgs& args) {
  if (!args.profiles.empty()) return args.profiles;
  std::error_code ec;
  for (const fs::path& p : {fs::path("crmx.profiles.yaml"), fs::path(args.plan).parent_path() / "crmx.profiles.yaml"})
    if (fs::exists(p, ec)) return p.string();
  return {};
}

namespace {

// What connectors::Open is given for `where` under SystemArgs::create_nothing: an empty SQLite
// database in memory for one that does not exist yet.
std::string Uncreated(const SystemArgs& args, const std::string& where) {
  if (!args.create_nothing) return where;
  std::string path = where.rfind("sqlite:", 0) == 0 ? where.substr(7) : where;
  std::string ext = fs::path(path).extension().string();
  std::error_code ec;
  bool sqlite = where.rfind("sqlite:", 0) == 0 || ext == ".db" || ext == ".sqlite" || ext == ".sqlite3";
  return sqlite && !fs::exists(path, ec) ? "sqlite::memory:" : where;
}

}  // namespace

int OpenPlanAndSystems(const SystemArgs& args, plan::Plan& p, OpenSystems& out) {
  std::string error;
  if (!plan::ReadPlanFile(args.plan, p, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  std::map<std::string, std::string> overrides;
  for (const std::string& s : args.systems) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --system takes NAME=DIR_OR_DB, got `" << s << "`\n";
      return 2;
    }
    std::string name = s.substr(0, eq);
    if (p.FindSystem(name) == nullptr) {
      std::cerr << "error: the plan has no system `" << name << "`; its systems are";
      for (const plan::System& x : p.systems) std::cerr << " " << x.name;
      std::cerr << "\n";
      return 2;
    }
    overrides[name] = s.substr(eq + 1);
  }
  bool need_profile = false;
  for (const plan::System& x : p.systems) need_profile = need_profile || !overrides.count(x.name);
  std::string profiles = FindProfiles(args);
  if (need_profile && !profiles.empty()) {
    if (!profile::Load(profiles, args.target, out.target, error)) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
  } else if (!args.target.empty() && profiles.empty()) {
    std::cerr << "error: --target " << args.target << " needs a profile file (--profiles FILE, or crmx.profiles.yaml)\n";
    return 2;
  }
  for (const plan::System& x : p.systems) {
    std::unique_ptr<connectors::Connector> c;
    std::string where;
    if (auto o = overrides.find(x.name); o != overrides.end()) {
      where = o->second;
      c = connectors::Open(Uncreated(args, where), error);
    } else if (auto t = out.target.systems.find(x.name); t != out.target.systems.end()) {
      const profile::SystemProfile& sp = t->second;
      if (sp.kind == "files" || sp.kind == "sqlite") {
        where = (sp.kind == "files" ? "dir:" : "sqlite:") + sp.path;
        c = connectors::Open(Uncreated(args, where), error);
      } else {
        if (!x.kind.empty() && x.kind != sp.kind) {
          std::cerr << "error: system " << x.name << " is `" << x.kind << "` in the spec but `" << sp.kind
                    << "` in target " << out.target.name << " of " << out.target.file << "\n";
          return 1;
        }
        where = sp.kind + " " + sp.base_url;
        std::function<std::string()> admit;
        std::function<void()> done;
        if (args.admit) admit = [f = args.admit, name = x.name] { return f(name); };
        if (args.admitted_done) done = [f = args.admitted_done, name = x.name] { f(name); };
        c = connectors::OpenApi(sp, error, std::move(admit), std::move(done));
      }
    } else {
      continue;  // a system no map uses may be absent; the engine names the one a map needs
    }
    if (!c) {
      std::cerr << "error: system " << x.name << ": " << profile::Redact(out.target, error) << "\n";
      return 1;
    }
    out.systems.by_name[x.name] = c.get();
    out.where[x.name] = where;
    out.owned[x.name] = std::move(c);
  }
  return 0;
}

std::string DefaultStatePath(const OpenSystems& open) {
  // Beside the ERP's local store; with API systems, beside the profile file (else here).
  std::string anchor;
  for (const auto& [name, w] : open.where)
    if (w.rfind("sqlite:", 0) == 0 || w.rfind("dir:", 0) == 0 || w.find(' ') == std::string::npos)
      if (anchor.empty() || name == "erp") anchor = w;
  if (anchor.rfind("sqlite:", 0) == 0) anchor = anchor.substr(7);
  if (anchor.rfind("dir:", 0) == 0) anchor = anchor.substr(4);
  if (anchor.empty() && !open.target.file.empty()) anchor = fs::path(open.target.file).parent_path().string();
  fs::path at = anchor.empty() ? fs::path(".") : fs::path(anchor);
  std::error_code ec;
  fs::path base = fs::is_directory(at, ec) ? at : at.parent_path();
  std::string stem = fs::is_directory(at, ec) ? "crmx" : at.stem().string();
  return ((base.empty() ? fs::path(".") : base) / (stem + ".crmx-state.db")).string();
}

int CheckStateNotSystem(const OpenSystems& open, const std::string& state_path) {
  std::error_code ec;
  for (const auto& [name, w] : open.where) {
    std::string db = w.rfind("sqlite:", 0) == 0 ? w.substr(7) : w;
    bool same = fs::equivalent(db, state_path, ec) || fs::weakly_canonical(db, ec) == fs::weakly_canonical(state_path, ec);
    if (!fs::is_directory(db, ec) && same) {
      std::cerr << "error: `" << state_path << "` is the " << name
                << " system's database; give the state its own file (--state FILE)\n";
      return 1;
    }
  }
  return 0;
}

StateAt FindState(const OpenSystems& open, const std::string& state_opt) {
  StateAt at;
  if (!state_opt.empty()) {
    at.location = state_opt;
  } else if (open.target.state) {
    at.location = open.target.state->url;
    at.password = open.target.state->password.Reveal();
  } else {
    at.location = DefaultStatePath(open);
  }
  // `--state postgresql://...` with the target's database: its password too.
  if (!state_opt.empty() && open.target.state && open.target.state->url == state_opt)
    at.password = open.target.state->password.Reveal();
  return at;
}

int OpenRunState(const OpenSystems& open, const std::string& state_opt, bool wait,
                 std::unique_ptr<state::StateStore>& out) {
  StateAt at = FindState(open, state_opt);
  const std::string& state_path = at.location;
  if (!state::db::IsPostgresUrl(state_path))
    if (int rc = CheckStateNotSystem(open, state_path)) return rc;
  state::OpenOptions state_options;
  state_options.password = at.password;
  state_options.wait = wait;
  state_options.waiting = [&state_path](const std::string& holder) {
    std::cerr << "waiting for the run holding " << state_path << " (" << holder << ")\n";
  };
  std::string error;
  out = state::StateStore::Open(state_path, error, state_options);
  if (!out) {
    std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
    return 1;
  }
  return 0;
}

int64_t DurationMs(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 12) return -1;
  int64_t n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  if (unit == "ms") return n;
  if (unit == "s" || (unit.empty() && n == 0)) return n * 1000;
  if (unit == "m") return n * 60000;
  if (unit == "h") return n * 3600000;
  return -1;
}

}  // namespace crmx::cli
