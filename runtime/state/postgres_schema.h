// Defines the state's tables on PostgreSQL (docs/operations.md, "Several workers on
// PostgreSQL"): the same tables and columns as a SQLite state file of version kVersion (so that
// every query of the state store and its books runs on both, and a PostgreSQL state copies into a
// SQLite file for a dry run), plus the cluster's own: `leases` (who runs which sync, until when,
// with which fencing token) and `workers` (who is alive).
//
// Versions are kept in `crmx_meta` (key 'version'), migrated like the SQLite file's: each
// migration from the version before it, all in one transaction, under an advisory lock so that
// workers starting together migrate once.
#pragma once

#include <string>

#include "runtime/state/db/db.h"

namespace crmx::state {

// The version of the PostgreSQL tables this crmx-run writes.
inline constexpr int kPostgresVersion = 3;

// Checks the database at `where` (a redacted URL, for messages), creates or migrates its tables to
// kPostgresVersion; `read_only`: refuses an older version instead. False with `error`.
bool PreparePostgres(db::Connection& db, const std::string& where, bool read_only, std::string& error);

}  // namespace crmx::state
