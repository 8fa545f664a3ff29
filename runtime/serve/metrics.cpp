// Defines the metrics of crmx-run serve (metrics.h) over prometheus-cpp.
#include "runtime/serve/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <sstream>

namespace crmx::serve {

namespace {

// Seconds, from a tenth of a second to an hour: a webhook-driven sync takes about a second, a
// nightly one minutes.
const prometheus::Histogram::BucketBoundaries& SecondsBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  return b;
}

}  // namespace

struct Metrics::Families {
  prometheus::Family<prometheus::Counter>& records;
  prometheus::Family<prometheus::Counter>& runs;
  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Gauge>& last_success;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& calls;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Gauge>& queues;
  prometheus::Family<prometheus::Gauge>& ledger;
  prometheus::Family<prometheus::Counter>& webhooks;
  prometheus::Family<prometheus::Counter>& notifications;
  prometheus::Gauge& up;
};

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  prometheus::Registry& r = *registry_;
  auto& up = BuildGauge().Name("crmx_up").Help("1 while crmx-run serve's loop runs").Register(r);
  f_.reset(new Families{
      BuildCounter().Name("crmx_records_total").Help("Records by map and where they ended").Register(r),
      BuildCounter().Name("crmx_sync_runs_total").Help("Runs of a sync by result (ok, failed)").Register(r),
      BuildHistogram().Name("crmx_sync_duration_seconds").Help("How long a sync's run took").Register(r),
      BuildGauge()
          .Name("crmx_sync_last_success_timestamp_seconds")
          .Help("When a sync's last successful run ended (Unix seconds)")
          .Register(r),
      BuildHistogram()
          .Name("crmx_delivery_latency_seconds")
          .Help("From the moment a sync fell due (schedule, poll or webhook) to the end of the run that delivered it")
          .Register(r),
      BuildCounter().Name("crmx_api_calls_total").Help("API calls by system (pages, writes, logins)").Register(r),
      BuildCounter().Name("crmx_api_errors_total").Help("Writes into a system that failed (retried or dead)").Register(r),
      BuildGauge().Name("crmx_queue_items").Help("Open items per queue, as the state holds them").Register(r),
      BuildGauge().Name("crmx_deliveries").Help("The delivery ledger by state").Register(r),
      BuildCounter().Name("crmx_webhooks_total").Help("Webhooks by system and result (accepted, or the refusal)").Register(r),
      BuildCounter()
          .Name("crmx_notifications_total")
          .Help("Alert notifications tried, by result (sent, retrying, failed)")
          .Register(r),
      up.Add({})});
}

Metrics::~Metrics() = default;

void Metrics::SyncRun(const std::string& sync, const engine::RunReport* report, double seconds, double since_due) {
  f_->runs.Add({{"sync", sync}, {"result", report ? "ok" : "failed"}}).Increment();
  f_->duration.Add({{"sync", sync}}, SecondsBuckets()).Observe(seconds);
  if (!report) return;
  f_->latency.Add({{"sync", sync}}, SecondsBuckets()).Observe(since_due);
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  f_->last_success.Add({{"sync", sync}}).Set(now);
  for (const engine::MapReport& m : report->maps) {
    auto add = [&](const char* outcome, int64_t n) {
      if (n > 0) f_->records.Add({{"map", m.name}, {"outcome", outcome}}).Increment(static_cast<double>(n));
    };
    add("written", m.written);
    add("skipped", m.skipped.count);
    add("data_quality", m.data_quality.count);
    add("held", m.held.count);
    add("waiting", m.waiting.count);
    add("error", m.error.count);
    add("retrying", m.retrying.count);
    add("dead_letter", m.dead_letter.count);
    add("deleted", m.deleted.count);
    std::string src = m.source.substr(0, m.source.find('.'));
    std::string dst = m.target.substr(0, m.target.find('.'));
    if (m.calls_source) f_->calls.Add({{"system", src}}).Increment(static_cast<double>(m.calls_source));
    if (m.calls_target) f_->calls.Add({{"system", dst}}).Increment(static_cast<double>(m.calls_target));
    int64_t failed = m.retrying.count + m.dead_letter.count + m.retries;
    if (failed) f_->errors.Add({{"system", dst}}).Increment(static_cast<double>(failed));
  }
}

void Metrics::Webhook(const std::string& system, const std::string& result) {
  f_->webhooks.Add({{"system", system}, {"result", result}}).Increment();
}

void Metrics::Notifications(const std::string& result, uint64_t n) {
  // The series exists from the first try on, 0 until something has that result.
  auto& c = f_->notifications.Add({{"result", result}});
  if (n) c.Increment(static_cast<double>(n));
}

void Metrics::QueueSizes(const std::map<std::string, int64_t>& open_by_queue) {
  // Every queue is shown, 0 when empty: an alert on a queue's size needs the series to exist.
  for (const char* q : {"data_quality", "held", "waiting", "error", "retrying", "dead_letter", "deleted", "flag"})
    f_->queues.Add({{"queue", q}}).Set(0);
  for (const auto& [q, n] : open_by_queue) f_->queues.Add({{"queue", q}}).Set(static_cast<double>(n));
}

void Metrics::Ledger(const std::map<std::string, int64_t>& by_state) {
  for (const auto& [s, n] : by_state) f_->ledger.Add({{"state", s}}).Set(static_cast<double>(n));
}

void Metrics::Up(bool up) { f_->up.Set(up ? 1 : 0); }

std::string Metrics::Text() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace crmx::serve
