// Defines the report book (report_book.h).
#include "runtime/state/report_book.h"

#include "runtime/state/statement.h"

#include <nlohmann/json.hpp>

namespace crmx::state {

namespace {

std::vector<std::string> JsonList(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return {text};
  for (const auto& e : j) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

// The stays of a queue and their times: the ended ones (`item_stays`) and the open ones (the open
// items, from the run their stay began in). A stay a run ended (`how` 'run') is told apart here:
// moved when the record entered another queue in that run (a stay, ended or open, that began
// then); replayed when a person's replay action on its item came at or after that run started;
// fixed at the source otherwise. ?1 the queue, ?2 from, ?3 to; MAPS is replaced by the map filter.
constexpr const char* kStays = R"sql(
SELECT s.id, s.item, s.map, s.record_id, s.queue, s.reasons, s.fields, s.entered_run, e.started,
       coalesce(s.left_run, 0), coalesce(s.left, l.started), s.how,
       CASE WHEN s.how = 'run' THEN coalesce(
            (SELECT o.queue FROM item_stays o WHERE o.map = s.map AND o.record_id = s.record_id
               AND o.queue <> s.queue AND o.entered_run = s.left_run ORDER BY o.id LIMIT 1),
            (SELECT i.queue FROM queued_items i WHERE i.map = s.map AND i.record_id = s.record_id AND i.queue <> s.queue
               AND i.queue <> 'flag' AND coalesce(i.stay_run, i.first_run) = s.left_run ORDER BY i.id LIMIT 1))
       END,
       CASE WHEN s.how = 'run' AND EXISTS (SELECT 1 FROM actions a WHERE a.item = s.item AND a.action = 'replay'
            AND a.at >= l.started) THEN 1 ELSE 0 END
FROM item_stays s JOIN runs e ON e.run = s.entered_run LEFT JOIN runs l ON l.run = s.left_run
WHERE s.queue = ?1 AND e.started <= ?3 AND coalesce(s.left, l.started) > ?2 MAPS
UNION ALL
SELECT 0, i.id, i.map, i.record_id, i.queue, i.reasons, i.fields, coalesce(i.stay_run, i.first_run), e.started,
       0, NULL, '', NULL, 0
FROM queued_items i JOIN runs e ON e.run = coalesce(i.stay_run, i.first_run)
WHERE i.queue = ?1 AND i.status = 'open' AND e.started <= ?3 MAPS
ORDER BY 8, 1, 2
)sql";

// The map filter of kStays's two parts (`s` and `i`), its values bound from ?FIRST on.
std::string WithMaps(size_t first, const std::vector<std::string>& maps) {
  std::string sql = kStays;
  for (const char* alias : {"s", "i"}) {
    std::string filter;
    if (!maps.empty()) {
      filter = std::string("AND ") + alias + ".map IN (";
      for (size_t i = 0; i < maps.size(); ++i) filter += (i ? ",?" : "?") + std::to_string(first + i);
      filter += ")";
    }
    sql.replace(sql.find("MAPS"), 4, filter);
  }
  return sql;
}

}  // namespace

bool LoadQueueHistory(StateStore& store, const std::string& queue, const std::vector<std::string>& maps,
                      const std::string& from, const std::string& to, QueueHistory& out, std::string& error) {
  auto fail = [&](const Statement& q) {
    error = "state " + store.path() + ": " + q.Error();
    return false;
  };
  {
    Statement q(store.db(), WithMaps(4, maps));
    q.Bind(1, queue).Bind(2, from).Bind(3, to);
    for (size_t i = 0; i < maps.size(); ++i) q.Bind(static_cast<int>(4 + i), maps[i]);
    while (q.Row()) {
      StayRow s;
      s.id = q.Int(0);
      s.item = q.Int(1);
      s.map = q.Text(2);
      s.record_id = q.Text(3);
      s.queue = q.Text(4);
      s.reasons = JsonList(q.Text(5));
      s.fields = JsonList(q.Text(6));
      s.entered_run = q.Int(7);
      s.entered = q.Text(8);
      s.left_run = q.Int(9);
      s.left = q.Text(10);
      std::string how = q.Text(11);
      if (how == "run") {
        s.moved_to = q.Text(12);
        s.how = !s.moved_to.empty() ? "moved" : q.Int(13) ? "replayed" : "fixed";
      } else {
        s.how = how;
      }
      // A person's action without a time (never written so): the stay is taken as still open.
      if (!s.how.empty() && s.left.empty()) s.how.clear();
      out.stays.push_back(std::move(s));
    }
    if (!q.ok()) return fail(q);
  }
  {
    Statement q(store.db(), "SELECT count(*), min(started) FROM runs");
    if (q.Row()) {
      out.runs = q.Int(0);
      out.first_run_started = q.Text(1);
    }
    if (!q.ok()) return fail(q);
  }
  Statement q(store.db(), "SELECT started FROM runs WHERE started > ?1 AND started <= ?2 ORDER BY started");
  q.Bind(1, from).Bind(2, to);
  while (q.Row()) out.run_starts.push_back(q.Text(0));
  if (!q.ok()) return fail(q);
  return true;
}

}  // namespace crmx::state
