// Defines the queue book: what `crmx-run queue` (runtime/cli/queue_command.h) reads from and
// writes to a state file between runs, over an open StateStore (which holds the state file's
// lock): the queues as they stand (table `items`), the delivery of a queued record (tables
// `deliveries`, `attempts`) and what people did (table `actions`). docs/operations.md,
// "Working the queues", describes the commands; "The state file" the tables.
//
// Every function here is one statement or one transaction: a failure leaves the file as it was
// and says SQLite's message in `error`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

// A row of `items`: a record in a queue now.
struct Item {
  int64_t id = 0;
  std::string map;
  std::string record_id;  // the record's key ("FILE:LINE" for a line without one)
  std::string queue;      // data_quality, held, waiting, error, retrying, dead_letter, flag
  std::string source_id;  // the source record's own id ("" when unknown)
  std::vector<std::string> reasons;
  std::vector<std::string> fields;
  std::string file;
  int64_t line = 0;
  int64_t first_run = 0, last_run = 0;
  std::string first_seen, last_seen;  // RFC 3339, UTC: when first_run and last_run started
  std::string status;                 // open, resolved, discarded
  std::string note, actor, acted;
  // From the record's delivery, when it has one (retrying, dead_letter): its state and the
  // sends whose result came back. -1: no delivery.
  int64_t attempts = -1;
  std::string delivery_state;
};

struct ItemFilter {
  std::string queue;   // "" every queue but `flag` (flags are on written records)
  std::string map;     // "" every map
  std::string reason;  // a substring of one of the reasons, any case
  std::string since;   // last seen in a run started at or after this RFC 3339 UTC text ("2026-12-06T00:00:00Z")
  std::string status = "open";  // open, resolved, discarded, all
};

// One send of a delivery that failed (table `attempts`).
struct AttemptRow {
  int64_t attempt = 0;
  int64_t run = 0;
  std::string at;
  bool ok = false;
  int http_status = 0;
  std::string code, message;
  bool retriable = false;
  int64_t wait_ms = 0;
};

// The delivery of a record (table `deliveries`), with its failed sends.
struct DeliveryRow {
  Delivery d;
  std::string decided, updated, target_id, notify;
  std::vector<AttemptRow> attempts;
};

// A row of `actions`.
struct ActionRow {
  int64_t id = 0;
  int64_t item = 0;
  std::string map, record_id, queue, action, note, actor, at;
};

struct ItemDetail {
  Item item;
  std::optional<DeliveryRow> delivery;
  std::vector<ActionRow> actions;
};

// The items `f` selects, newest first (last_run, then id). False with `error` when SQLite failed.
bool ListItems(StateStore& store, const ItemFilter& f, std::vector<Item>& out, std::string& error);
// The item `id`, or nullopt (with `error` empty when there is no such item).
std::optional<Item> GetItem(StateStore& store, int64_t id, std::string& error);
// The item with its delivery, attempts and actions. False with `error` (empty: no such item).
bool GetItemDetail(StateStore& store, int64_t id, ItemDetail& out, std::string& error);
// The actions taken on item `id` (also when the item is gone: its record left the queue).
bool ItemActions(StateStore& store, int64_t id, std::vector<ActionRow>& out, std::string& error);
// The item of `map`'s record `record_id` now in `queue`, 0 when there is none.
int64_t FindItem(StateStore& store, const std::string& map, const std::string& record_id, const std::string& queue,
                 std::string& error);

// What an Act did.
struct ActResult {
  Item before;                   // the item as it was
  std::string delivery_before;   // the state of its delivery before ("" when none)
  bool delivery_killed = false;  // its delivery is now `dead` (a discard of retrying/dead_letter)
};

// Resolves or discards item `id` (`status` "resolved" or "discarded"): its status, note, actor
// and the time; an `actions` row ("resolve", "discard"); discarding a retrying or dead_letter
// item also makes its delivery `dead` (payload kept) so that no run sends it again. One
// transaction. False with `error`; `refused` set when the item is unknown or not open (and
// `force` is false): a usage error, not a failure of the file.
bool Act(StateStore& store, int64_t id, const std::string& status, const std::string& note, const std::string& actor,
         bool force, ActResult& result, bool& refused, std::string& error);
// Appends an `actions` row (a replay: `note` says what became of the record).
bool AddAction(StateStore& store, const Item& item, const std::string& action, const std::string& note,
               const std::string& actor, std::string& error);
// Makes the failed delivery of `map`'s record `source_key` due now, so that a run (a replay)
// sends it at once; true when there was none.
bool DueNow(StateStore& store, const std::string& map, const std::string& source_key, int64_t now_ms,
            std::string& error);
// The delivery of `map`'s record `source_key` as it stands: its state, the run that last
// decided it and its sends with a result ("", 0 and 0 when none).
bool DeliveryState(StateStore& store, const std::string& map, const std::string& source_key, std::string& state,
                   int64_t& run, int64_t& attempts, std::string& error);
// The id in the target `map`'s record `source_key` was written with (table `xref`), "" when
// none is kept (only maps another map `ref`s keep one).
std::string TargetId(StateStore& store, const std::string& map, const std::string& source_key);
// The id a record written into a target by one of `maps` with key value `key` has there ("" when none is
// known): for a dry run's recording writer.
std::string TargetIdByKey(StateStore& store, const std::vector<std::string>& maps, const std::string& key);
// Copies the state file into `path` (SQLite's online backup: a consistent copy while the
// store is open). False with `error`.
bool BackupTo(StateStore& store, const std::string& path, std::string& error);

// Now as the state file writes times: "2026-12-06T04:00:00Z".
std::string NowText();
// Unix ms as RFC 3339 UTC ("" for 0).
std::string MsText(int64_t ms);

}  // namespace crmx::state
