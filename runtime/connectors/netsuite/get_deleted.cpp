// Defines the NetSuite connector's reading of deletions (get_deleted.h): SOAP getDeleted's
// envelope, its answer read with pugixml, and the reader that follows a SuiteQL read with the
// deleted records.
#include "runtime/connectors/netsuite/get_deleted.h"

#include <algorithm>
#include <charconv>

#include <pugixml.hpp>

#include "runtime/connectors/netsuite/netsuite.h"

namespace crmx::connectors::netsuite {

namespace {

using plan::FieldType;
using value::Value;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

void AppendXml(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}

// `<platformCore:NAME>value</platformCore:NAME>`.
void AppendElement(std::string& out, const char* prefix, const char* name, std::string_view value) {
  out += "<";
  out += prefix;
  out += name;
  out += ">";
  AppendXml(out, value);
  out += "</";
  out += prefix;
  out += name;
  out += ">";
}

// The name of `n` without its namespace prefix: SOAP answers may use any prefix.
std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node c : parent.children())
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  return {};
}

// The first element named `local` at or under `n`, depth first.
pugi::xml_node Descendant(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c : n.children()) {
    if (c.type() != pugi::node_element) continue;
    if (LocalName(c) == local) return c;
    if (pugi::xml_node d = Descendant(c, local)) return d;
  }
  return {};
}

std::string Text(const pugi::xml_node& n) {
  std::string t = n.child_value();
  size_t a = t.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  size_t b = t.find_last_not_of(" \t\r\n");
  return t.substr(a, b - a + 1);
}

bool ParseCount(const pugi::xml_node& n, int64_t& out) {
  std::string t = Text(n);
  auto r = std::from_chars(t.data(), t.data() + t.size(), out);
  return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size() && out >= 0;
}

// The body's first element: the operation's answer or a Fault. Null when the text is not a
// SOAP envelope.
pugi::xml_node BodyElement(const pugi::xml_document& doc) {
  pugi::xml_node envelope = doc.document_element();
  if (!envelope || LocalName(envelope) != "Envelope") return {};
  pugi::xml_node body = Child(envelope, "Body");
  for (pugi::xml_node c : body.children())
    if (c.type() == pugi::node_element) return c;
  return {};
}

// A Fault's code and message: those of its detail (`<platformFaults:code>` and `message` of
// insufficientPermissionFault, invalidSessionFault, ...), else its faultcode and faultstring.
void ReadFault(const pugi::xml_node& fault, std::string& code, std::string& message) {
  pugi::xml_node detail = Child(fault, "detail");
  code = Text(Descendant(detail, "code"));
  message = Text(Descendant(detail, "message"));
  if (code.empty()) code = Text(Child(fault, "faultcode"));
  if (message.empty()) message = Text(Child(fault, "faultstring"));
}

std::string CodeAndMessage(const std::string& code, const std::string& message) {
  if (code.empty()) return message.empty() ? "no code or message" : message;
  return message.empty() ? code : code + ": " + message;
}

// The rows of a read followed by the deletions getDeleted lists (WithDeletions).
class DeletionsReader : public RecordReader {
 public:
  DeletionsReader(std::unique_ptr<RecordReader> records, std::shared_ptr<api::Session> session, const ReadRequest& req,
                  GetDeletedQuery query)
      : records_(std::move(records)), session_(std::move(session)), req_(req), client_(session_->ClientOptions()),
        query_(std::move(query)) {}

  bool Next(RecordBatch& out) override {
    if (!records_done_) {
      if (records_->Next(out)) return true;
      if (!records_->error().empty()) {
        error_ = records_->error();
        return false;
      }
      records_done_ = true;
      line_ = static_cast<int64_t>(records_->Done());
    }
    out.Clear();
    out.width = req_.fields.size();
    out.file = "netsuite:" + req_.object;
    size_t batch = std::max<size_t>(req_.batch, 1);
    while (out.size() < batch) {
      if (pos_ < page_.records.size()) {
        Append(page_.records[pos_++], out);
        continue;
      }
      if (query_.page > total_pages_) break;
      if (!Fetch()) return false;
    }
    return out.size() > 0;
  }
  uint64_t Done() const override { return records_->Done() + handed_; }
  uint64_t Total() const override { return records_->Total() + static_cast<uint64_t>(total_records_); }
  uint64_t Filtered() const override { return records_->Filtered(); }
  std::string Query() const override {
    return records_->Query() + "; SOAP getDeleted type " + query_.type +
           (query_.since.empty() ? std::string() : " deletedDate onOrAfter " + query_.since);
  }
  uint64_t Calls() const override { return records_->Calls() + calls_; }

 private:
  // One row of a deleted record: the marker true, the ids and the cursor from the answer.
  void Append(const DeletedRecord& d, RecordBatch& out) {
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      const std::string& f = req_.fields[i];
      FieldType type = i < req_.types.size() ? req_.types[i] : FieldType::kAny;
      if (f == plan::kDeletedMarker) {
        out.values.push_back(Value::Bool(true));
      } else if (f == req_.id_field || EqualsIgnoreCase(f, "id")) {
        out.values.push_back(FromText(d.internal_id, type, f).Owned());
      } else if (EqualsIgnoreCase(f, "externalId") && !d.external_id.empty()) {
        out.values.push_back(FromText(d.external_id, type, f).Owned());
      } else if (!req_.cursor.empty() && f == req_.cursor) {
        out.values.push_back(Value::Timestamp(d.deleted_at));
      } else {
        out.values.push_back(Value::Null());
      }
    }
    out.lines.push_back(++line_);
    ++handed_;
  }

  // The next page (query_.page): a fresh passport on every attempt, the answer read.
  bool Fetch() {
    http::Request r;
    r.method = "POST";
    r.url = SoapPath(query_.version);
    r.headers = {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "getDeleted"}};
    const GetDeletedQuery q = query_;
    api::Sign sign = [this, &q](http::Request& attempt, std::string& error) {
      auth::TokenPassport passport;
      if (!session_->Passport(passport, error)) return false;
      attempt.body = BuildGetDeleted(q, passport);
      return true;
    };
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_, SoapNotApplied, sign);
    const std::string failed = "NetSuite getDeleted of " + req_.object + " failed: ";
    if (!call.login_error.empty()) {
      error_ = failed + call.login_error;
      return false;
    }
    if (call.response.status == 0) {
      error_ = failed + call.response.transport_error;
      return false;
    }
    DeletedPage page;
    std::string why;
    bool parsed = ParseGetDeleted(call.response.body, page, why);
    if (!parsed || !call.response.Ok()) {
      // An error status whose body is no SOAP answer (a proxy's page, a limit's JSON): its
      // first words say more than "not XML".
      if (!call.response.Ok() && why.rfind("malformed answer", 0) == 0)
        why = call.response.body.substr(0, 200);
      error_ = failed + "HTTP " + std::to_string(call.response.status) + (why.empty() ? "" : ": " + why);
      return false;
    }
    // A page short of the last that lists nothing: the paging would never end.
    if (page.records.empty() && query_.page < page.total_pages) {
      error_ = failed + "malformed answer: page " + std::to_string(query_.page) + " of " +
               std::to_string(page.total_pages) + " lists no deleted record";
      return false;
    }
    total_pages_ = page.total_pages;
    total_records_ = page.total_records;
    page_ = std::move(page);
    pos_ = 0;
    ++query_.page;
    return true;
  }

  std::unique_ptr<RecordReader> records_;
  std::shared_ptr<api::Session> session_;
  const ReadRequest req_;
  http::Client client_;
  GetDeletedQuery query_;  // its `page`: the next page to ask for
  bool records_done_ = false;
  DeletedPage page_;
  size_t pos_ = 0;
  // Until the first answer says how many pages there are, there is one to ask for.
  int64_t total_pages_ = 1;
  int64_t total_records_ = 0;
  int64_t line_ = 0;
  uint64_t handed_ = 0;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace

std::string SoapPath(std::string_view version) { return "/services/NetSuitePort_" + std::string(version); }

GetDeletedQuery DeletedQueryFor(const std::string& object) {
  GetDeletedQuery q;
  if (object.size() > 12 && EqualsIgnoreCase(std::string_view(object).substr(0, 12), "customrecord")) {
    q.type = "customRecord";
    q.script_id = object;
    for (char& c : q.script_id) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    return q;
  }
  q.type = TableFor(object).record_type;
  return q;
}

std::string BuildGetDeleted(const GetDeletedQuery& q, const auth::TokenPassport& passport) {
  const char* core = "platformCore:";
  const char* msgs = "platformMsgs:";
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
      " xmlns:platformMsgs=\"urn:messages_";
  AppendXml(out, q.version);
  out += ".platform.webservices.netsuite.com\" xmlns:platformCore=\"urn:core_";
  AppendXml(out, q.version);
  out += ".platform.webservices.netsuite.com\"><soapenv:Header><platformMsgs:tokenPassport>";
  AppendElement(out, core, "account", passport.account);
  AppendElement(out, core, "consumerKey", passport.consumer_key);
  AppendElement(out, core, "token", passport.token);
  AppendElement(out, core, "nonce", passport.nonce);
  AppendElement(out, core, "timestamp", passport.timestamp);
  out += "<platformCore:signature algorithm=\"";
  AppendXml(out, passport.algorithm);
  out += "\">";
  AppendXml(out, passport.signature);
  out += "</platformCore:signature></platformMsgs:tokenPassport></soapenv:Header><soapenv:Body>"
         "<platformMsgs:getDeleted><platformMsgs:getDeletedFilter>";
  if (!q.since.empty()) {
    out += "<platformCore:deletedDate operator=\"onOrAfter\">";
    AppendElement(out, core, "searchValue", q.since);
    out += "</platformCore:deletedDate>";
  }
  // DeletedRecordType is a SearchEnumMultiSelectField: operator anyOf.
  out += "<platformCore:type operator=\"anyOf\">";
  AppendElement(out, core, "searchValue", q.type);
  out += "</platformCore:type>";
  if (!q.script_id.empty()) {
    out += "<platformCore:scriptId operator=\"is\">";
    AppendElement(out, core, "searchValue", q.script_id);
    out += "</platformCore:scriptId>";
  }
  out += "</platformMsgs:getDeletedFilter>";
  AppendElement(out, msgs, "pageIndex", std::to_string(q.page));
  out += "</platformMsgs:getDeleted></soapenv:Body></soapenv:Envelope>";
  return out;
}

bool ParseGetDeleted(std::string_view body, DeletedPage& page, std::string& error) {
  page = DeletedPage{};
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    error = "malformed answer: not XML (" + std::string(parsed.description()) + " at byte " +
            std::to_string(parsed.offset) + ")";
    return false;
  }
  pugi::xml_node answer = BodyElement(doc);
  if (!answer) {
    error = "malformed answer: not a SOAP envelope with a body";
    return false;
  }
  if (LocalName(answer) == "Fault") {
    std::string code, message;
    ReadFault(answer, code, message);
    error = CodeAndMessage(code, message);
    return false;
  }
  pugi::xml_node result = Child(answer, "getDeletedResult");
  if (LocalName(answer) != "getDeletedResponse" || !result) {
    error = "malformed answer: <" + std::string(LocalName(answer)) + "> is not getDeleted's answer";
    return false;
  }
  pugi::xml_node status = Child(result, "status");
  if (!status) {
    error = "malformed answer: getDeletedResult has no status";
    return false;
  }
  if (std::string_view(status.attribute("isSuccess").value()) != "true") {
    pugi::xml_node detail = Child(status, "statusDetail");
    error = CodeAndMessage(Text(Child(detail, "code")), Text(Child(detail, "message")));
    return false;
  }
  if (!ParseCount(Child(result, "totalRecords"), page.total_records) ||
      !ParseCount(Child(result, "totalPages"), page.total_pages)) {
    error = "malformed answer: totalRecords or totalPages missing or not a count";
    return false;
  }
  if (pugi::xml_node n = Child(result, "pageSize"); n && !ParseCount(n, page.page_size)) {
    error = "malformed answer: pageSize is not a count";
    return false;
  }
  if (pugi::xml_node n = Child(result, "pageIndex"); n && !ParseCount(n, page.page_index)) {
    error = "malformed answer: pageIndex is not a count";
    return false;
  }
  for (pugi::xml_node d : Child(result, "deletedRecordList").children()) {
    if (d.type() != pugi::node_element || LocalName(d) != "deletedRecord") continue;
    DeletedRecord r;
    pugi::xml_node ref = Child(d, "record");
    r.internal_id = ref.attribute("internalId").value();
    r.external_id = ref.attribute("externalId").value();
    r.type = ref.attribute("type").value();
    r.name = Text(Child(ref, "name"));
    r.deleted_date = Text(Child(d, "deletedDate"));
    if (r.internal_id.empty()) {
      error = "malformed answer: a deleted record without an internalId";
      return false;
    }
    // xsd:dateTime may leave the zone out: read as UTC.
    std::string when = r.deleted_date;
    bool zoned = when.size() > 19 && (when.back() == 'Z' || when.back() == 'z' || when[when.size() - 3] == ':');
    if (!zoned) when += "Z";
    if (!value::ParseTimestamp(when, r.deleted_at)) {
      error = "malformed answer: deletedDate `" + r.deleted_date + "` of record " + r.internal_id +
              " is not a date-time";
      return false;
    }
    page.records.push_back(std::move(r));
  }
  return true;
}

bool SoapNotApplied(const http::Response& response) {
  if (response.status == 429) return true;
  if (response.status < 400) return false;
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) return false;
  pugi::xml_node answer = BodyElement(doc);
  if (!answer || LocalName(answer) != "Fault") return false;
  std::string code, message;
  ReadFault(answer, code, message);
  return code == "WS_REQUEST_BLOCKED" || code == "WS_CONCUR_SESSION_DISALLWD";
}

std::unique_ptr<RecordReader> WithDeletions(std::unique_ptr<RecordReader> records, std::shared_ptr<api::Session> session,
                                            const ReadRequest& req, std::string& error) {
  const profile::SystemProfile& sys = session->system();
  if (sys.auth.method != "tba") {
    error = "system `" + sys.name + "`: NetSuite deletions need token-based auth (SOAP getDeleted): `" +
            sys.auth.method +
            "` gives OAuth 2.0 tokens, which SOAP web services do not take; log in with `method: tba`, or set the "
            "option `deletions: skip` (the system's `options` in the profile) to read " +
            req.object + " without noticing deletions";
    return nullptr;
  }
  GetDeletedQuery q = DeletedQueryFor(req.object);
  if (auto v = sys.options.find("soap_version"); v != sys.options.end()) {
    bool ok = v->second.size() == 6 && v->second[4] == '_' &&
              std::all_of(v->second.begin(), v->second.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
              v->second[5] >= '1' && v->second[5] <= '9';
    if (!ok) {
      error = "system `" + sys.name + "`: option `soap_version` is `" + v->second + "`, not a version such as `" +
              kSoapVersion + "`";
      return nullptr;
    }
    q.version = v->second;
  }
  // Deletions on or after the records' cursor: the SuiteQL read keeps the same ties.
  if (!req.cursor.empty()) q.since = req.since;
  return std::make_unique<DeletionsReader>(std::move(records), std::move(session), req, std::move(q));
}

}  // namespace crmx::connectors::netsuite
