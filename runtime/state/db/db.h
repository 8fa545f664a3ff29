// Defines the database the state store runs on (runtime/state/state.h): one connection, its
// prepared queries and the few pieces of SQL that differ between the two engines it supports.
//
// - SQLite (sqlite_db.cpp): the embedded default, a file beside the data.
// - PostgreSQL 15 over libpq (postgres_db.cpp): one database shared by several `crmx-run
//   serve` workers (docs/operations.md, "Several workers on PostgreSQL").
//
// The state's SQL is written once, in the dialect both accept (`INSERT ... ON CONFLICT ... DO
// UPDATE`, `RETURNING`, `?` and `?NNN` parameters; PostgreSQL's connection rewrites those to
// `$N`). The schemas and their migrations are per engine (state.cpp, postgres_schema.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace crmx::state::db {

enum class Engine { kSqlite, kPostgres };

// A prepared query: bind its parameters (1-based), then step through its rows; Reset makes it
// ready to run again with new parameters. A failure (to prepare, to run) is kept: ok() turns
// false and Error() says the database's message.
class Query {
 public:
  virtual ~Query() = default;
  virtual bool ok() const = 0;
  virtual std::string Error() const = 0;
  // A copy of `t` is bound.
  virtual void BindText(int i, std::string_view t) = 0;
  // `t` is bound without a copy: it must outlive the next Row() (SQLite; PostgreSQL copies).
  virtual void BindView(int i, std::string_view t) = 0;
  virtual void BindInt(int i, int64_t v) = 0;
  virtual void BindNull(int i) = 0;
  // Runs the query on its first call; then the next row. False when there is none, or on an
  // error (ok() false).
  virtual bool Row() = 0;
  // The current row's columns (0-based); a NULL reads as "" / 0.
  virtual std::string_view Text(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;
  virtual bool Null(int col) const = 0;
  // The result's columns, once it ran.
  virtual int Columns() const = 0;
  virtual std::string ColumnName(int col) const = 0;
  // The rows the statement changed (INSERT, UPDATE, DELETE), after it ran.
  virtual int64_t Changes() const = 0;
  // Ready to run again: bindings cleared, the failure (if any) forgotten.
  virtual void Reset() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Engine engine() const = 0;
  // Never null; !ok() when the database refused the SQL. `keep`: the query is run many times
  // (prepared once on the server).
  virtual std::unique_ptr<Query> Prepare(const std::string& sql, bool keep = false) = 0;
  // Runs `sql` (several statements, no parameters, no rows wanted).
  virtual bool Exec(const std::string& sql, std::string& error) = 0;
  virtual bool InTransaction() const = 0;
  // The connection's latest error message.
  virtual std::string Error() const = 0;

  // A write transaction: SQLite takes its write lock at once (BEGIN IMMEDIATE), so that two
  // writers wait for each other instead of failing at their first write.
  bool Begin(std::string& error) { return Exec(engine() == Engine::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN", error); }
  bool Commit(std::string& error) { return Exec("COMMIT", error); }
  void Rollback() {
    std::string ignored;
    if (InTransaction()) Exec("ROLLBACK", ignored);
  }

  // SQL that differs: the Unix seconds (a float) of an RFC 3339 text expression, and the
  // scalar maximum of two values.
  std::string EpochSeconds(const std::string& text_expr) const {
    return engine() == Engine::kSqlite ? "((julianday(" + text_expr + ") - 2440587.5) * 86400.0)"
                                       : "extract(epoch from (" + text_expr + ")::timestamptz)::float8";
  }
  const char* Greatest() const { return engine() == Engine::kSqlite ? "max" : "greatest"; }
  // The elements of the JSON array of strings `array_expr` as a table `j` to join (a flag set's
  // keys, runtime/state/flag_sets.h): j.value an element's text, JsonPosition() its position
  // from 0.
  std::string JsonElements(const std::string& array_expr) const {
    return engine() == Engine::kSqlite ? "json_each(" + array_expr + ") AS j"
                                       : "jsonb_array_elements_text((" + array_expr + ")::jsonb) WITH ORDINALITY AS j(value, key)";
  }
  const char* JsonPosition() const { return engine() == Engine::kSqlite ? "j.key" : "(j.key - 1)"; }
  // Element `i` of the JSON array text `expr` as SQL text (a string's value, an array's JSON
  // text, NULL for null): an entry of an item set, runtime/state/item_sets.h.
  std::string JsonAt(const std::string& expr, int i) const {
    return engine() == Engine::kSqlite ? "(" + expr + " ->> " + std::to_string(i) + ")"
                                       : "((" + expr + ")::jsonb ->> " + std::to_string(i) + ")";
  }
};

// Wraps an open SQLite connection (closed with the Connection).
std::unique_ptr<Connection> WrapSqlite(sqlite3* db);
// The SQLite connection of `c` (null when it is not one): for SQLite's own tools (backup).
sqlite3* SqliteHandle(Connection& c);

// Connects to PostgreSQL. `url`: "postgresql://USER@HOST:PORT/DB?..." (libpq's URI); the
// password, when not empty, is given to libpq apart from it (never in a message). Null with
// `error` (without the password) when the server cannot be reached or refuses.
std::unique_ptr<Connection> ConnectPostgres(const std::string& url, const std::string& password, std::string& error);

// True for a state location that is a PostgreSQL URL ("postgresql://", "postgres://").
bool IsPostgresUrl(std::string_view location);
// `url` without its password ("postgresql://crmx:***@host/db" -> "postgresql://crmx@host/db"):
// what messages and the plan may show.
std::string RedactUrl(const std::string& url);

// `sql` with SQLite's `?` and `?NNN` parameters as PostgreSQL's `$N` (quoted text left alone).
std::string PostgresParameters(std::string_view sql);

}  // namespace crmx::state::db
