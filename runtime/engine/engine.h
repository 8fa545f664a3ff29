// Defines the run loop of crmx-run: executes a plan's maps in order over the records of the
// systems' connectors, and reports, per map, where every record ended: written, skipped by
// the sync's `when`, data-quality queue (a `require` failed), held (`hold`), waiting (a `ref`
// not yet resolvable) or error (a malformed line, an expression error, a failed write).
//
// Records stream through in batches: a run holds one batch of source records, the related
// records its maps join (parents, children), and, for maps other maps `ref`, the id
// cross-reference; never the whole input. Every queued record and every flag goes to the
// queue sinks (the state file, the queue files); the report keeps counts and the first few
// records of each queue.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/plan/plan.h"
#include "runtime/state/state.h"

namespace crmx::engine {

struct QueueItem {
  std::string key;  // the record's key ("" when it has none)
  std::string file;
  int64_t line = 0;
  std::vector<std::string> reasons;
  std::vector<std::string> fields;  // data-quality: the fields the failing requires read
  std::string source_id;            // the source record's own id, when known
};

struct Bucket {
  int64_t count = 0;
  std::map<std::string, int64_t> by_reason;  // by the first reason
  std::vector<QueueItem> samples;            // the first RunOptions::samples records
};

struct MapReport {
  std::string name;
  std::string source;  // "crm.Account"
  std::string target;
  int64_t input_lines = 0;
  int64_t written = 0;
  Bucket skipped, data_quality, held, waiting, error;
  // Writes into an API that failed: due again later (retrying) or given up (dead_letter:
  // retries exhausted, or a failure that is not retriable). `retries`: re-sends this run.
  Bucket retrying, dead_letter;
  // Records deleted at the source, flagged for review (not written).
  Bucket deleted;
  int64_t retries = 0;
  // What the run says of the map besides its counts ("reading stopped: paused: crm budget ...").
  std::vector<std::string> notes;
  std::map<std::string, int64_t> flags_on_written;
  // Items of list-valued fields on written records (`lines` of an order: its order lines).
  std::map<std::string, int64_t> list_items_written;
  // Malformed lines of related objects (parents, children) read for this map: not records of
  // this map, so in no bucket; the map whose source they are reports them as errors.
  std::vector<QueueItem> related_bad_lines;
  // API calls made for this map (pages, writes and logins), source and target side.
  uint64_t calls_source = 0;
  uint64_t calls_target = 0;
  // (data_quality + held + waiting + error) / (input_lines - skipped); 0 when nothing ran.
  double FailureRate() const;
};

struct RunReport {
  std::string integration;
  std::string plan_hash;
  int64_t run = 0;
  std::string state_path;
  std::string queues_dir;
  std::vector<MapReport> maps;
  // Per API system: its usage and limits as its last response reported them.
  std::map<std::string, std::string> limits;
  // The delivery ledger after the run: deliveries per state (with a state file).
  std::map<std::string, int64_t> ledger;
  // Per system with an api_calls budget: its use in the current window.
  std::map<std::string, std::string> budgets;
};

// "good" (< 1%), "warning" (1% to 5%), "red" (> 5%).
const char* Judge(double failure_rate);

struct Systems {
  std::map<std::string, connectors::Connector*> by_name;  // "crm" -> connector
};

// Where queued records and flags go besides the report's counts.
class QueueSink {
 public:
  virtual ~QueueSink() = default;
  // `queue`: "data_quality", "held", "waiting", "error".
  virtual void Add(const std::string& map, const std::string& queue, const QueueItem& item) = 0;
  virtual void Flag(const std::string& map, const std::string& key, const std::string& flag) = 0;
  // A record written (the write's result came back ok); most sinks keep only the queues.
  virtual void Written(const std::string& map, const std::string& key) {}
  // Where the record about to be reported Written was read (its file and line, as a QueueItem
  // says), and a record skipped (the sync's `when`, or its output unchanged): only the spec
  // tests' sink keeps them, to tell what happened to each given record.
  virtual void WrittenFrom(const std::string& map, const std::string& key, const std::string& file, int64_t line) {}
  virtual void Skipped(const std::string& map, const QueueItem& item) {}
  // Flushes; false with `error` when the entries could not be kept.
  virtual bool Finish(std::string& error) = 0;
};

// Where a map's read stands, for a progress display.
struct Progress {
  const std::string* map = nullptr;
  int64_t records = 0;  // source lines processed
  uint64_t done = 0;    // input consumed (bytes or rows)
  uint64_t total = 0;   // 0 when unknown
  bool finished = false;
};

// One record's outcome in a dry evaluation (RunOptions::evaluate_only), for `crmx-run diff`.
// The views and pointers are valid during the callback only.
struct Evaluated {
  const plan::Map* map = nullptr;
  // "written" (would be written), "skipped", "data_quality", "held", "waiting", "error",
  // "deleted", "dead_letter" (a target that refused the record: not in a dry evaluation).
  const char* outcome = "";
  std::string_view key;        // the record's key (the value of the map's `key`); "" when none
  std::string_view source_id;  // the source record's own id (Map::source_id); "" when none
  std::string_view file;       // where the record was read, and its line (files) or rowid
  int64_t line = 0;
  const std::vector<std::string>* reasons = nullptr;  // not written: why (first: what counts group by)
  // Written: the target record in Map::target_fields order (a `ref` to a record this evaluation
  // would write holds EvaluatedPlaceholderId); null otherwise.
  const value::Value* values = nullptr;
  const std::vector<const std::string*>* flags = nullptr;  // written: the flags raised
};

// The id a `ref` resolves to in a dry evaluation when the referenced record would be written by
// it: the target system assigns the real one (`(new erp.Customer 001Hp...)`).
std::string EvaluatedPlaceholderId(const plan::Map& map, const std::string& key);

struct RunOptions {
  std::vector<QueueSink*> sinks;
  size_t samples = 20;  // records kept per queue in the report
  std::function<void(const Progress&)> progress;  // called after every batch
  // Look at every record, changed since the last run or not (the cursors still advance).
  bool full = false;
  // How long a run waits for failed writes that fall due again (`--retry-wait`); those due
  // later stay in the ledger for the next run.
  int64_t retry_wait_ms = 60000;
  // A replay (`crmx-run queue replay`): only these maps, and in each only the records whose
  // key or source id is listed, every one of them evaluated again (no cursor).
  std::map<std::string, std::unordered_set<std::string>> only;
  // Only these maps run, each as a run would run it (cursors, due retries); empty: every map.
  // `crmx-run serve` runs one sync's map when its trigger fires.
  std::unordered_set<std::string> maps;
  // Set by Run: the plan is not the one the previous run ran (its records in data-quality,
  // held, error and dead letters are looked at again).
  bool plan_changed = false;
  // Set by Run: the maps whose local target changed outside crmx since the last run completed
  // (its file's fingerprint differs): every record is looked at again.
  std::unordered_set<std::string> changed_targets;
  // The clock (Unix ms) and the wait, for tests; the system's when unset.
  std::function<int64_t()> now_ms;
  std::function<void(int64_t)> sleep_ms;
  // The instant now() and today() read, the same for every record of the run: the run's start
  // (now_ms, else the system's clock) when unset; a spec test's `now "..."` sets it.
  std::optional<value::Time> clock;
  // A dry evaluation (`crmx-run diff`): every record is looked at as a --full run would, and
  // nothing is written. No target writer is opened (a would-be write is handed to `evaluated`
  // and concluded as written, its target id a placeholder, EvaluatedPlaceholderId), the source
  // read is not narrowed by `when` pushdown (every record gets an outcome), writes are never
  // deliveries (no ledger), and Run must be given no state (no cursor, no queue, no ledger
  // row). Every record's outcome, written or not, goes to `evaluated`, per map in the order
  // read (a batch's malformed lines before its records: the same for every evaluation).
  bool evaluate_only = false;
  std::function<void(const Evaluated&)> evaluated;
};

// Runs every map of `plan` in order. False with `error` on a fatal problem (a system with no
// connector, an object that cannot be read); record-level problems go to the report and the
// sinks.
bool Run(const plan::Plan& plan, const Systems& systems, state::StateStore* state, const RunOptions& options,
         RunReport& report, std::string& error);

// The report as JSON text (the shape of examples/.../data/expected_summary.json's `maps`).
std::string ReportJson(const RunReport& report);
// The report for people: a table of counts per map, the failure rates, where the queues are.
std::string ReportText(const RunReport& report);

}  // namespace crmx::engine
