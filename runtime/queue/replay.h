// Defines Replay: queued records run again through the current plan, the one piece of code
// behind `crmx-run queue replay` (runtime/cli/queue_command.cpp) and the console's replay button
// (runtime/console). docs/operations.md, "Working the queues", says what a replay does:
//
// - the items' records are read again from their source (by key and source id) and evaluated
//   by the engine (engine::Run with RunOptions::only), sent even when the target already has
//   the same values; a failed delivery replayed is made due now;
// - a dry run works on a copy of the state (SQLite's online backup, in a temporary directory)
//   with every system's writes recorded instead of sent: nothing changes, and the result says
//   what would be written, field by field;
// - a replay that is not a dry run appends a `replay` action per item (who, when, and what
//   became of the record) to the state's `actions`, as resolve and discard do.
//
// The caller holds the StateStore (and so the state's lock): the CLI its own, serve's loop
// thread the one it runs the syncs with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/state.h"

namespace crmx::queue {

// A write a dry run would have made.
struct Recorded {
  std::string system, object, key;
  std::vector<std::pair<std::string, std::string>> fields;  // name, value as JSON text
};

// What became of a replayed item.
struct Outcome {
  state::Item item;
  std::string kind;  // written, queued, skipped, not_read, not_in_plan, no_key
  std::string queue;
  std::vector<std::string> reasons;
  int64_t new_item = 0;
  std::string target, target_id;
  int write = -1;  // a dry run: what it would have written (an index into Result::recorded), -1 none
  // The record's delivery before the replay: a delivery left open by an earlier run is sent
  // again without a new decision (its `run` stays), its attempts grow.
  std::string delivery_state;
  int64_t delivery_attempts = 0;
};

struct Request {
  std::vector<state::Item> items;  // what to replay (SelectItems, or a filter's list)
  bool dry_run = false;
  int64_t retry_wait_ms = 60000;  // how long the run waits for failed writes that fall due again
  std::string actor;              // who asks, kept in `actions` (not in a dry run)
  std::string note;               // why, kept before what became of the record ("" none)
  // A cluster's state (PostgreSQL): the replay holds the leases of its records' maps while it
  // runs (state::ClaimMaps), as any worker running them would. Null: a SQLite file (its lock).
  state::Leases* leases = nullptr;
};

struct Result {
  int64_t run = 0;  // the engine's run (0: nothing was evaluated)
  std::string plan_hash;
  std::vector<Outcome> outcomes;  // one per item, in the request's order
  std::vector<Recorded> recorded;
};

// Replays `request.items` through `plan` with `systems` on `store`. False with `error` (not
// redacted: the caller passes it through profile::Redact) when the copy, the run or the state
// failed; the outcomes are then incomplete.
bool Replay(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& store, const Request& request,
            Result& out, std::string& error);

// The items `ids` name, each checked: false with `error` when one is unknown (`refused`, a
// usage error) or not open without `force` (`refused`), or SQLite failed. Duplicates once.
bool SelectItems(state::StateStore& store, const std::vector<int64_t>& ids, bool force, std::vector<state::Item>& out,
                 bool& refused, std::string& error);

// A `since` filter ("24h", "7d", "30m", "90s": that long ago; a date: its midnight UTC; an RFC
// 3339 time) as the state file writes times ("2026-12-06T04:00:00Z"); "" when the text is none.
std::string SinceText(const std::string& text);

// What became of the record, for people: "written to erp.Customer (id 42)", "would go back to held:
// Pending Review", ...
std::string Describe(const Outcome& o, bool dry_run);

// How many outcomes of each kind, for people: {"written": 1, "back in a queue": 2} ("would be
// written" in a dry run).
std::vector<std::pair<std::string, int64_t>> Counts(const Result& r, bool dry_run);

}  // namespace crmx::queue
