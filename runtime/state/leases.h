// Defines the leases of a cluster of `crmx-run serve` workers on one PostgreSQL state
// (docs/operations.md, "Several workers on PostgreSQL"), the way job queues on PostgreSQL
// (River, Oban, Graphile Worker, pg-boss) share work:
//
// - One row per sync in `leases`. A worker claims a sync's row with SELECT ... FOR UPDATE SKIP
//   LOCKED when nobody holds it or its holder's lease expired (the database's clock), taking the
//   next fencing token. Only the holder runs the sync.
// - A heartbeat thread extends the leases held every third of their time to live; a worker that
//   stops (kill -9, a lost machine) stops extending them, and once they expire the others claim
//   them: that is the reaper. What the dead worker left in flight is in the ledger, sent again
//   by the next run with the same idempotency keys.
// - The state store checks the token in every transaction it commits (StateStore::Fence): a
//   worker that lost its lease (stalled past it) cannot write.
// - Webhooks arrive at any worker: Wake marks the syncs, the holder of the next claim runs them.
// - API budgets are shared: Admit counts each call against the system's budget in `usage`
//   before it is sent, in one statement, so that the workers together never exceed it.
//
// A Leases has a connection of its own (used under a mutex: the heartbeat thread and the
// connectors' threads call it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/state/db/db.h"

namespace crmx::state {

class StateStore;

struct Lease {
  std::string name;
  int64_t token = 0;
};

// Who holds a sync (for `crmx-run status` and the tests).
struct LeaseRow {
  std::string name, owner;
  int64_t token = 0;
  int64_t expires_in_ms = 0;  // < 0: expired
};

class Leases {
 public:
  // Connects to the state database at `url` (already migrated: StateStore::Open did it).
  // `owner` names this worker ("host:pid:start"); `ttl_ms` is a lease's time to live.
  static std::unique_ptr<Leases> Open(const std::string& url, const std::string& password, std::string owner,
                                      int64_t ttl_ms, std::string& error);
  ~Leases();
  Leases(const Leases&) = delete;
  Leases& operator=(const Leases&) = delete;

  const std::string& owner() const { return owner_; }
  int64_t ttl_ms() const { return ttl_ms_; }
  // Makes sure every sync has its row.
  bool Ensure(const std::vector<std::string>& names, std::string& error);
  // Claims `name` when it is free or its lease expired: its lease (the new token), nullopt when
  // another worker holds it (or on an error: then `error` is set).
  std::optional<Lease> Claim(const std::string& name, std::string& error);
  // Gives the lease back (the next claim needs no wait); false when it was no longer ours.
  bool Release(const Lease& lease);
  // Webhooks: marks the syncs to run now (when not marked already), and what is marked.
  bool Wake(const std::vector<std::string>& names, int64_t at_ms, std::string& error);
  std::map<std::string, int64_t> Woken(std::string& error);
  bool ClearWoken(const std::string& name, int64_t up_to_ms, std::string& error);
  // Counts one call to `system` in its budget's window (`usage`, metric api_calls), unless that
  // would exceed `amount`: "" when admitted, else why not.
  std::string Admit(const std::string& system, int64_t window_start, int64_t amount);
  // A system's concurrency limit (`budget concurrency N`), shared by the workers: one of its N
  // slots (a PostgreSQL advisory lock of this worker's session, so a dead worker's slots are
  // freed with its connection), waited for at most `wait_ms`. The slot, or -1 (not had in time,
  // or an error: then `error` says it).
  int AcquireSlot(const std::string& system, int slots, int64_t wait_ms, std::string& error);
  void ReleaseSlot(const std::string& system, int slot);
  std::vector<LeaseRow> List(std::string& error);

 private:
  Leases(std::unique_ptr<db::Connection> db, std::string owner, int64_t ttl_ms);
  void Beat();

  std::unique_ptr<db::Connection> db_;
  std::string owner_;
  int64_t ttl_ms_;
  mutable std::mutex mu_;  // the connection and held_
  std::map<std::string, int64_t> held_;  // name -> token
  std::set<std::pair<std::string, int>> slots_;  // concurrency slots this worker holds
  std::mutex beat_mu_;
  std::condition_variable beat_cv_;
  bool stopping_ = false;
  std::thread beat_;
};

// A run of `maps` outside serve's loop (`crmx-run run`, a replay) on a cluster's state: claims the
// lease of each and fences `store` with them. False with `error` naming the worker that runs one
// (then nothing is held); `held` is what to give back with Unclaim.
bool ClaimMaps(Leases& leases, StateStore& store, const std::vector<std::string>& maps, std::vector<Lease>& held,
               std::string& error);
// Takes the fence off `store` and gives `held` back.
void Unclaim(Leases& leases, StateStore& store, const std::vector<Lease>& held);

}  // namespace crmx::state
