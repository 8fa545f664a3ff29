// Defines the metrics `crmx-run serve` exposes at /metrics, in the Prometheus text exposition
// format (version 0.0.4), through prometheus-cpp's registry and serializer. Names follow the
// Prometheus conventions: a `crmx_` prefix, base units (seconds), `_total` on counters.
//
//   crmx_records_total{map, outcome}          counter: records by where they ended (written,
//                                             skipped, data_quality, held, waiting, error,
//                                             retrying, dead_letter, deleted)
//   crmx_sync_runs_total{sync, result}        counter: runs of a sync (ok, failed)
//   crmx_sync_duration_seconds{sync}          histogram: how long a sync's run took
//   crmx_sync_last_success_timestamp_seconds{sync}  gauge
//   crmx_delivery_latency_seconds{sync}       histogram: from the moment a sync fell due (its
//                                             schedule, poll or webhook) to the end of the run
//                                             that delivered its changes
//   crmx_api_calls_total{system}              counter: API calls (pages, writes, logins)
//   crmx_api_errors_total{system}             counter: writes that failed (retried or dead)
//   crmx_queue_items{queue}                   gauge: open items per queue, as the state has them
//   crmx_deliveries{state}                    gauge: the ledger by state
//   crmx_webhooks_total{system, result}       counter: webhooks accepted, refused by reason
//   crmx_notifications_total{result}          counter: alert notifications tried: sent, retrying
//                                             (failed, to be tried again), failed (given up)
//   crmx_up                                   gauge: 1 while the loop runs
//
// Every method is safe to call from several threads (the HTTP threads read, the loop writes).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "runtime/engine/engine.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace crmx::serve {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A sync's run ended: its report (ok) or nothing (failed), its duration, and the seconds
  // since it fell due.
  void SyncRun(const std::string& sync, const engine::RunReport* report, double seconds, double since_due);
  void Webhook(const std::string& system, const std::string& result);
  void Notifications(const std::string& result, uint64_t n);
  void QueueSizes(const std::map<std::string, int64_t>& open_by_queue);
  void Ledger(const std::map<std::string, int64_t>& by_state);
  void Up(bool up);
  // The exposition text of every metric.
  std::string Text() const;

 private:
  struct Families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> f_;
};

}  // namespace crmx::serve
