// Defines the report book: what the reports of `crmx-run report` (runtime/cli/report_command.h)
// read from a state file, in one place so that another store (PostgreSQL, issue 15) answers the
// same questions with its own SQL. Today: the history of one queue (state version 8, state.cpp's
// kSchema8) and the start of the runs.
//
// How the history is kept (docs/operations.md, "Weekly data-quality report"): a stay is one record
// in one queue from the run that put it there to when it left; its times are its runs' start
// (`runs.started`, as `items` says first_seen), or for a person's resolve or discard the time
// acted. The stays still open are the open items (`queued_items`: the rows of `items` and the
// entries of the item sets; from `stay_run`, else `first_run`); the
// ended ones are rows of `item_stays`, written by SQLite triggers on `items` when an open item is
// deleted (left at the latest run) or closed (resolved or discarded: at the time acted), and a
// re-opened item's `stay_run` is set by one too. A store without them (PostgreSQL) writes the same
// rows with its own triggers, or where it clears and acts on items. Every function here is one
// read; a failure says SQLite's message in `error`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace crmx::state {

// A stay of a record in a queue (a row of `item_stays`, or an open item: `id` 0), with its times.
struct StayRow {
  int64_t id = 0;
  int64_t item = 0;  // the `items` row it was (gone once the record left the queue)
  std::string map, record_id, queue;
  std::vector<std::string> reasons;  // the latest the queue said for this stay
  std::vector<std::string> fields;   // data-quality: the fields the failing requires read
  int64_t entered_run = 0;
  std::string entered;  // RFC 3339 UTC: when entered_run started
  int64_t left_run = 0;  // 0 when it has not left, or a person took it out
  std::string left;      // RFC 3339 UTC; "" while the record is in the queue
  // How it left: "" (still in the queue); "fixed" (a run wrote it or skipped it by `when`: the
  // record was fixed at the source); "moved" (a run put it in another queue, `moved_to`);
  // "replayed" (a person's `crmx-run queue replay` wrote it); "resolved", "discarded" (a person,
  // `crmx-run queue resolve|discard`).
  std::string how;
  std::string moved_to;
};

struct QueueHistory {
  // The stays of the queue that overlap [from, to]: entered at or before `to`, not left by `from`.
  std::vector<StayRow> stays;
  // When each run started in (from, to], oldest first.
  std::vector<std::string> run_starts;
  std::string first_run_started;  // "" when the file has no run
  int64_t runs = 0;               // every run of the file
};

// The history of `queue` ("data_quality") between `from` and `to` (RFC 3339 UTC texts as the
// state writes them, "2026-12-06T00:00:00Z"), of the maps in `maps` (empty: every map).
bool LoadQueueHistory(StateStore& store, const std::string& queue, const std::vector<std::string>& maps,
                      const std::string& from, const std::string& to, QueueHistory& out, std::string& error);

}  // namespace crmx::state
