// Defines the run book (run_book.h).
#include "runtime/state/run_book.h"

#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

RunRow Read(const Statement& s) {
  return RunRow{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)};
}

constexpr const char* kColumns = "SELECT run, started, coalesce(finished, ''), plan_hash, coalesce(summary, '') FROM runs ";

}  // namespace

bool ListRuns(StateStore& store, int64_t before, int64_t limit, std::vector<RunRow>& out, std::string& error) {
  out.clear();
  Statement s(store.db(), std::string(kColumns) + "WHERE ?1 = 0 OR run < ?1 ORDER BY run DESC LIMIT ?2");
  s.Bind(1, before).Bind(2, limit);
  while (s.Row()) out.push_back(Read(s));
  if (!s.ok()) error = "state " + store.path() + ": " + s.Error();
  return s.ok();
}

bool GetRun(StateStore& store, int64_t run, RunRow& out, std::string& error) {
  error.clear();
  Statement s(store.db(), std::string(kColumns) + "WHERE run = ?1");
  s.Bind(1, run);
  if (s.Row()) {
    out = Read(s);
    return true;
  }
  if (!s.ok()) error = "state " + store.path() + ": " + s.Error();
  return false;
}

}  // namespace crmx::state
