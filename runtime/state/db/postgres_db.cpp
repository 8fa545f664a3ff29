// Defines the state's database on PostgreSQL, over libpq (db.h), which is loaded when the first
// connection is made, not linked (runtime/dynlib/shared_library.h: libpq and what it needs cost
// every process ~5 ms of start-up, and a SQLite state never calls it).
#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <vector>

#include "runtime/dynlib/shared_library.h"
#include "runtime/state/db/db.h"

namespace crmx::state::db {

std::string PostgresParameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted literal or name, its doubled quotes included, copied as it is.
      size_t j = i + 1;
      while (j < sql.size() && !(sql[j] == c && (j + 1 >= sql.size() || sql[j + 1] != c))) j += sql[j] == c ? 2 : 1;
      out.append(sql.substr(i, j - i + 1));
      i = j;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = highest + 1;  // a bare `?`: the next after the highest so far (SQLite's rule)
    if (n > highest) highest = n;
    out += '$' + std::to_string(n);
    i = j - 1;
  }
  return out;
}

bool IsPostgresUrl(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  size_t slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

namespace {

// The libpq functions used here, called as pq->PQexec(...): the same names and arguments as
// libpq's API, through pointers.
struct Libpq {
  decltype(&::PQclear) PQclear = nullptr;
  decltype(&::PQcmdTuples) PQcmdTuples = nullptr;
  decltype(&::PQconnectdbParams) PQconnectdbParams = nullptr;
  decltype(&::PQerrorMessage) PQerrorMessage = nullptr;
  decltype(&::PQexec) PQexec = nullptr;
  decltype(&::PQexecParams) PQexecParams = nullptr;
  decltype(&::PQexecPrepared) PQexecPrepared = nullptr;
  decltype(&::PQfinish) PQfinish = nullptr;
  decltype(&::PQfname) PQfname = nullptr;
  decltype(&::PQgetisnull) PQgetisnull = nullptr;
  decltype(&::PQgetlength) PQgetlength = nullptr;
  decltype(&::PQgetvalue) PQgetvalue = nullptr;
  decltype(&::PQnfields) PQnfields = nullptr;
  decltype(&::PQntuples) PQntuples = nullptr;
  decltype(&::PQprepare) PQprepare = nullptr;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage = nullptr;
  decltype(&::PQresultStatus) PQresultStatus = nullptr;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor = nullptr;
  decltype(&::PQstatus) PQstatus = nullptr;
  decltype(&::PQtransactionStatus) PQtransactionStatus = nullptr;
};

dynlib::Loaded<Libpq> LoadLibpq() {
  dynlib::Loaded<Libpq> l;
  const dynlib::SharedLibrary* so = dynlib::SharedLibrary::Open("libpq.so.5", "a PostgreSQL state", l.error);
  l.ok = so != nullptr &&
         so->Bind(l.table.PQclear, "PQclear", l.error) &&
         so->Bind(l.table.PQcmdTuples, "PQcmdTuples", l.error) &&
         so->Bind(l.table.PQconnectdbParams, "PQconnectdbParams", l.error) &&
         so->Bind(l.table.PQerrorMessage, "PQerrorMessage", l.error) &&
         so->Bind(l.table.PQexec, "PQexec", l.error) &&
         so->Bind(l.table.PQexecParams, "PQexecParams", l.error) &&
         so->Bind(l.table.PQexecPrepared, "PQexecPrepared", l.error) &&
         so->Bind(l.table.PQfinish, "PQfinish", l.error) &&
         so->Bind(l.table.PQfname, "PQfname", l.error) &&
         so->Bind(l.table.PQgetisnull, "PQgetisnull", l.error) &&
         so->Bind(l.table.PQgetlength, "PQgetlength", l.error) &&
         so->Bind(l.table.PQgetvalue, "PQgetvalue", l.error) &&
         so->Bind(l.table.PQnfields, "PQnfields", l.error) &&
         so->Bind(l.table.PQntuples, "PQntuples", l.error) &&
         so->Bind(l.table.PQprepare, "PQprepare", l.error) &&
         so->Bind(l.table.PQresultErrorMessage, "PQresultErrorMessage", l.error) &&
         so->Bind(l.table.PQresultStatus, "PQresultStatus", l.error) &&
         so->Bind(l.table.PQsetNoticeProcessor, "PQsetNoticeProcessor", l.error) &&
         so->Bind(l.table.PQstatus, "PQstatus", l.error) &&
         so->Bind(l.table.PQtransactionStatus, "PQtransactionStatus", l.error);
  return l;
}

// libpq, loaded once per process by whichever thread asks first; null with `error` when it
// cannot be. Every PgQuery and PgConnection exists after a load that worked.
const Libpq* LoadPq(std::string& error) {
  static const dynlib::Loaded<Libpq> loaded = LoadLibpq();
  return loaded.Get(error);
}

class PgQuery final : public Query {
 public:
  PgQuery(const Libpq* pq, PGconn* conn, std::string sql, std::string name)
      : pq_(pq), conn_(conn), sql_(std::move(sql)), name_(std::move(name)) {}
  ~PgQuery() override { Clear(); }
  bool ok() const override { return ok_; }
  std::string Error() const override { return error_; }
  void BindText(int i, std::string_view t) override { Slot(i) = std::string(t); }
  void BindView(int i, std::string_view t) override { Slot(i) = std::string(t); }
  void BindInt(int i, int64_t v) override { Slot(i) = std::to_string(v); }
  void BindNull(int i) override { Slot(i) = std::nullopt; }
  bool Row() override {
    if (!ok_) return false;
    if (res_ == nullptr && !Run()) return false;
    if (row_ + 1 >= pq_->PQntuples(res_)) {
      row_ = pq_->PQntuples(res_);
      return false;
    }
    ++row_;
    return true;
  }
  std::string_view Text(int col) const override {
    if (!Current(col) || pq_->PQgetisnull(res_, row_, col)) return {};
    return {pq_->PQgetvalue(res_, row_, col), static_cast<size_t>(pq_->PQgetlength(res_, row_, col))};
  }
  int64_t Int(int col) const override {
    std::string_view t = Text(col);
    int64_t v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return static_cast<int64_t>(Double(col));
    return v;
  }
  double Double(int col) const override {
    std::string t(Text(col));
    return t.empty() ? 0.0 : std::strtod(t.c_str(), nullptr);
  }
  bool Null(int col) const override { return !Current(col) || pq_->PQgetisnull(res_, row_, col); }
  int Columns() const override { return res_ ? pq_->PQnfields(res_) : 0; }
  std::string ColumnName(int col) const override {
    const char* n = res_ ? pq_->PQfname(res_, col) : nullptr;
    return n ? n : "";
  }
  int64_t Changes() const override {
    if (res_ == nullptr) return 0;
    const char* n = pq_->PQcmdTuples(res_);
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }
  void Reset() override {
    Clear();
    params_.clear();
    ok_ = true;
    error_.clear();
  }

 private:
  std::optional<std::string>& Slot(int i) {
    if (static_cast<size_t>(i) > params_.size()) params_.resize(static_cast<size_t>(i));
    return params_[static_cast<size_t>(i) - 1];
  }
  bool Current(int col) const {
    return res_ != nullptr && row_ >= 0 && row_ < pq_->PQntuples(res_) && col >= 0 && col < pq_->PQnfields(res_);
  }
  void Clear() {
    if (res_) pq_->PQclear(res_);
    res_ = nullptr;
    row_ = -1;
  }
  bool Run() {
    std::vector<const char*> values;
    values.reserve(params_.size());
    for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
    int n = static_cast<int>(values.size());
    if (!name_.empty() && !prepared_) {
      PGresult* p = pq_->PQprepare(conn_, name_.c_str(), sql_.c_str(), 0, nullptr);
      bool good = pq_->PQresultStatus(p) == PGRES_COMMAND_OK;
      if (!good) error_ = pq_->PQresultErrorMessage(p);
      pq_->PQclear(p);
      if (!good) {
        ok_ = false;
        if (error_.empty()) error_ = pq_->PQerrorMessage(conn_);
        return false;
      }
      prepared_ = true;
    }
    res_ = name_.empty() ? pq_->PQexecParams(conn_, sql_.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0)
                         : pq_->PQexecPrepared(conn_, name_.c_str(), n, values.data(), nullptr, nullptr, 0);
    ExecStatusType st = res_ ? pq_->PQresultStatus(res_) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      ok_ = false;
      error_ = res_ ? pq_->PQresultErrorMessage(res_) : pq_->PQerrorMessage(conn_);
      while (!error_.empty() && (error_.back() == '\n' || error_.back() == ' ')) error_.pop_back();
      Clear();
      return false;
    }
    return true;
  }

  const Libpq* pq_;
  PGconn* conn_;
  std::string sql_, name_;
  bool prepared_ = false;
  std::vector<std::optional<std::string>> params_;
  PGresult* res_ = nullptr;
  int row_ = -1;
  bool ok_ = true;
  std::string error_;
};

class PgConnection final : public Connection {
 public:
  PgConnection(const Libpq* pq, PGconn* conn) : pq_(pq), conn_(conn) {}
  ~PgConnection() override { pq_->PQfinish(conn_); }
  Engine engine() const override { return Engine::kPostgres; }
  std::unique_ptr<Query> Prepare(const std::string& sql, bool keep) override {
    return std::make_unique<PgQuery>(pq_, conn_, PostgresParameters(sql), keep ? "crmx_" + std::to_string(++prepared_) : "");
  }
  bool Exec(const std::string& sql, std::string& error) override {
    PGresult* r = pq_->PQexec(conn_, sql.c_str());
    ExecStatusType st = r ? pq_->PQresultStatus(r) : PGRES_FATAL_ERROR;
    bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!good) {
      error = r ? pq_->PQresultErrorMessage(r) : pq_->PQerrorMessage(conn_);
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    }
    pq_->PQclear(r);
    return good;
  }
  bool InTransaction() const override {
    PGTransactionStatusType t = pq_->PQtransactionStatus(conn_);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
  }
  std::string Error() const override {
    std::string e = pq_->PQerrorMessage(conn_);
    while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
    return e;
  }

 private:
  const Libpq* pq_;
  PGconn* conn_;
  int prepared_ = 0;
};

}  // namespace

std::unique_ptr<Connection> ConnectPostgres(const std::string& url, const std::string& password, std::string& error) {
  // The URL and the password as separate keywords: libpq reads the password from here (or
  // PGPASSWORD, ~/.pgpass) and it never has to be part of a text that could be printed.
  std::vector<const char*> keys = {"dbname", "application_name", "connect_timeout"};
  std::vector<const char*> values = {url.c_str(), "crmx-run", "10"};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::string load_error;
  const Libpq* pq = LoadPq(load_error);
  if (pq == nullptr) {
    error = "cannot connect to the state database " + RedactUrl(url) + ": " + load_error;
    return nullptr;
  }
  PGconn* conn = pq->PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr || pq->PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? pq->PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (!password.empty())
      for (size_t at; (at = msg.find(password)) != std::string::npos;) msg.replace(at, password.size(), "***");
    error = "cannot connect to the state database " + RedactUrl(url) + ": " + msg;
    pq->PQfinish(conn);
    return nullptr;
  }
  // Notices (a table that already exists) are not the user's business.
  pq->PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::make_unique<PgConnection>(pq, conn);
}

}  // namespace crmx::state::db
