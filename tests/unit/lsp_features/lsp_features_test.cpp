// Tests the position features of `crmxc lsp` (compiler/lsp/features.h: hover, definition,
// completion) on the north-star spec, examples/acme-salesforce-netsuite/acme.crmx, with its
// real schemas and its imported module, and on broken edits of it (what a user has typed
// halfway). Also checks that the keyword lists completion offers are the grammar's.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "compiler/lsp/document.h"
#include "compiler/lsp/features.h"
#include "compiler/syntax/keywords.h"

namespace {

using crmx::lsp::Document;
using crmx::lsp::Position;
namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kAcmeDir = std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite";
const std::string kAcme = kAcmeDir + "/acme.crmx";

int next_version = 1;

// The north star as an editor holds it, with `from` replaced by `to` (once) when given.
Document Acme(const std::string& from = "", const std::string& to = "") {
  std::string text = Read(kAcme);
  REQUIRE(!text.empty());
  if (!from.empty()) {
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  return Document(crmx::lsp::UriFromPath(kAcme), kAcme, text, next_version++);
}

// The position of the `k`-th byte of the first occurrence of `needle` after `after`.
Position At(const Document& doc, const std::string& needle, size_t k = 0, const std::string& after = "") {
  size_t from = after.empty() ? 0 : doc.text().find(after);
  REQUIRE(from != std::string::npos);
  size_t at = doc.text().find(needle, from);
  REQUIRE(at != std::string::npos);
  return doc.At(at + k);
}

// The end of the first occurrence of `needle` (where the cursor is after typing it).
Position End(const Document& doc, const std::string& needle) {
  size_t at = doc.text().find(needle);
  REQUIRE(at != std::string::npos);
  return doc.At(at + needle.size());
}

int LineOf(const std::string& path, const std::string& needle) {
  std::string text = Read(path);
  size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

std::string HoverText(const Document& doc, Position pos) {
  nlohmann::json h = crmx::lsp::Hover(doc, pos);
  REQUIRE(h.is_object());
  CHECK(h["contents"]["kind"] == "markdown");
  return h["contents"]["value"].get<std::string>();
}

std::set<std::string> Labels(const nlohmann::json& list) {
  std::set<std::string> out;
  for (const nlohmann::json& item : list["items"]) out.insert(item["label"].get<std::string>());
  return out;
}

// "a b c": a set of labels, readable in a failed CHECK.
std::string Joined(const std::set<std::string>& labels) {
  std::string out;
  for (const std::string& l : labels) out += (out.empty() ? "" : " ") + l;
  return out;
}

const nlohmann::json* Item(const nlohmann::json& list, const std::string& label) {
  for (const nlohmann::json& item : list["items"]) {
    if (item["label"] == label) return &item;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("hover on a source field: type, nullability, owner, writability, label, schema file") {
  Document doc = Acme();
  Position pos = At(doc, "BillingState", 3, "state       =");
  nlohmann::json h = crmx::lsp::Hover(doc, pos);
  REQUIRE(h.is_object());
  std::string text = h["contents"]["value"];
  CHECK(text.find("**BillingState**: `string`, at most 80 characters, nullable") == 0);
  CHECK(text.find("field of `crm.Account` (the source record): Billing State/Province") != std::string::npos);
  CHECK(text.find("- owner: `crm` (as part of `BillingAddress`)") != std::string::npos);
  CHECK(text.find("- createable and updateable") != std::string::npos);
  CHECK(text.find("schema: `schemas/salesforce/Account.describe.json`") != std::string::npos);
  // The range is the token's.
  Position start = At(doc, "BillingState", 0, "state       =");
  CHECK(h["range"]["start"]["line"] == start.line);
  CHECK(h["range"]["start"]["character"] == start.character);
  CHECK(h["range"]["end"]["character"] == start.character + 12);
}

TEST_CASE("hover on a picklist field lists 20 values, then how many more") {
  Document doc = Acme();
  std::string text = HoverText(doc, At(doc, "Industry", 2));  // in `owner crm { Account { ... } }`
  CHECK(text.find("**Industry**: `picklist`") == 0);
  CHECK(text.find("picklist") != std::string::npos);
  CHECK(text.find("32 values: ") != std::string::npos);
  CHECK(text.find("... and 12 more") != std::string::npos);
  CHECK(text.find("- owner: `crm`\n") != std::string::npos);
}

TEST_CASE("hover on a target field: the target object, required on create, no owner") {
  Document doc = Acme();
  std::string text = HoverText(doc, At(doc, "companyName", 1));
  CHECK(text.find("**companyName**: `string`") == 0);
  CHECK(text.find("field of `erp.Customer` (the map's target)") != std::string::npos);
  CHECK(text.find("- required on create") != std::string::npos);
  CHECK(text.find("- owner: none declared (`conflicts` decides)") != std::string::npos);
  // A source field owned by the ERP.
  std::string status = HoverText(doc, At(doc, "= status", 3));
  CHECK(status.find("field of `erp.SalesOrder`") != std::string::npos);
  CHECK(status.find("- owner: `erp`") != std::string::npos);
}

TEST_CASE("hover through a relationship and on a macro variable's field") {
  Document doc = Acme();
  std::string rel = HoverText(doc, At(doc, "Account.BillingCountry", 1));
  CHECK(rel.find("**Account**: relationship to `crm.Account` through `AccountId`") == 0);
  std::string field = HoverText(doc, At(doc, "BillingCountry", 2, "currency_of(Account."));
  CHECK(field.find("**BillingCountry**:") == 0);
  CHECK(field.find("field of `crm.Account`") != std::string::npos);
  std::string var = HoverText(doc, At(doc, "li.Quantity", 0));
  CHECK(var == "**li**: macro variable, `OpportunityLineItem`");
  std::string qty = HoverText(doc, At(doc, "Quantity", 1, "li.Quantity"));
  CHECK(qty.find("**Quantity**:") == 0);
  CHECK(qty.find("field of `crm.OpportunityLineItem`") != std::string::npos);
}

TEST_CASE("hover on the key of an object literal written into a target field: a field of its row") {
  Document doc = Acme();
  std::string item = HoverText(doc, At(doc, "item: item_by_sku", 1));
  CHECK(item.find("**item**: `id`, not nullable\n\nfield of `erp.SalesOrderItem` (the map's target): Item") == 0);
  CHECK(item.find("- required on create") != std::string::npos);
  std::string rate = HoverText(doc, At(doc, "rate: li.UnitPrice", 1));
  CHECK(rate.find("**rate**:") == 0);
}

TEST_CASE("hover on a function: module, signature, failure") {
  Document doc = Acme();
  std::string text = HoverText(doc, At(doc, "state_code", 2));
  CHECK(text.find("**state_code**: function of `std.geo` (needs `use std.geo`)") == 0);
  CHECK(text.find("```crmx\nstate_code(") != std::string::npos);
  CHECK(text.find("Can fail on unknown state names") != std::string::npos);
  std::string trim = HoverText(doc, At(doc, "trim", 1));
  CHECK(trim.find("**trim**: function of `std.text`") == 0);
  CHECK(trim.find("Can fail") == std::string::npos);
  std::string macro = HoverText(doc, At(doc, "map(li", 1));
  CHECK(macro.find("**map**: macro") == 0);
}

TEST_CASE("hover on a map, a table, a system, an object") {
  Document doc = Acme();
  std::string map = HoverText(doc, At(doc, "account_to_customer", 3, "ref("));
  CHECK(map.find("**account_to_customer**: map `crm.Account` -> `erp.Customer`") == 0);
  CHECK(map.find("- key: `externalId`") != std::string::npos);
  CHECK(map.find("- synced: every 1h") != std::string::npos);
  std::string table = HoverText(doc, At(doc, "subsidiary_by_country[", 2));
  CHECK(table.find("**subsidiary_by_country**: table `map<string, string>`") == 0);
  CHECK(table.find("a literal map of 4 entries") != std::string::npos);
  CHECK(table.find("declared in `lib/common.crmx`") != std::string::npos);
  std::string csv = HoverText(doc, At(doc, "item_by_sku[", 1));
  CHECK(csv.find("- CSV file `tables/sku_to_item.csv`") != std::string::npos);
  CHECK(csv.find("- key column: `sku`") != std::string::npos);
  std::string sys = HoverText(doc, At(doc, "crm.Account ->", 1));
  CHECK(sys.find("**crm**: system of kind `salesforce`") == 0);
  CHECK(sys.find("- schema `schemas/salesforce/*.describe.json`") != std::string::npos);
  std::string obj = HoverText(doc, At(doc, "erp.Customer {", 5));
  CHECK(obj.find("**erp.Customer**: object") == 0);
  CHECK(obj.find("- 20 fields") != std::string::npos);
}

TEST_CASE("hover on nothing is null") {
  Document doc = Acme();
  CHECK(crmx::lsp::Hover(doc, At(doc, "// ----", 3)).is_null());
  CHECK(crmx::lsp::Hover(doc, At(doc, "\"missing Name\"", 3)).is_null());
}

TEST_CASE("definition: a ref's map, a table in an import, an import, a system") {
  Document doc = Acme();
  nlohmann::json map = crmx::lsp::Definition(doc, At(doc, "account_to_customer", 2, "ref("));
  REQUIRE(map.is_object());
  CHECK(map["uri"] == doc.uri());
  CHECK(map["range"]["start"]["line"] == LineOf(kAcme, "map account_to_customer"));
  CHECK(map["range"]["start"]["character"] == 6);

  nlohmann::json sync = crmx::lsp::Definition(doc, At(doc, "won_to_order", 1, "sync won_to_order"));
  REQUIRE(sync.is_object());
  CHECK(sync["range"]["start"]["line"] == LineOf(kAcme, "map won_to_order"));

  const std::string common = kAcmeDir + "/lib/common.crmx";
  nlohmann::json table = crmx::lsp::Definition(doc, At(doc, "subsidiary_by_country[", 4));
  REQUIRE(table.is_object());
  CHECK(table["uri"] == crmx::lsp::UriFromPath(common));
  CHECK(table["range"]["start"]["line"] == LineOf(common, "table subsidiary_by_country"));

  nlohmann::json imp = crmx::lsp::Definition(doc, At(doc, "lib/common.crmx", 2));
  REQUIRE(imp.is_object());
  CHECK(crmx::lsp::PathFromUri(imp["uri"]) == fs::path(common).lexically_normal().string());
  CHECK(imp["range"]["start"]["line"] == 0);

  nlohmann::json sys = crmx::lsp::Definition(doc, At(doc, "erp.SalesOrder ->", 1));
  REQUIRE(sys.is_object());
  CHECK(sys["range"]["start"]["line"] == LineOf(kAcme, "system erp"));
}

TEST_CASE("definition: a field and an object go to the line of their schema file") {
  Document doc = Acme();
  const std::string account = kAcmeDir + "/schemas/salesforce/Account.describe.json";
  nlohmann::json f = crmx::lsp::Definition(doc, At(doc, "BillingState", 1, "state       ="));
  REQUIRE(f.is_object());
  CHECK(crmx::lsp::PathFromUri(f["uri"]) == account);
  CHECK(f["range"]["start"]["line"] == LineOf(account, "\"name\": \"BillingState\""));

  // A target field in a file of the crmx schema form.
  const std::string customer = kAcmeDir + "/schemas/netsuite/customer.json";
  nlohmann::json t = crmx::lsp::Definition(doc, At(doc, "subsidiary  =", 2));
  REQUIRE(t.is_object());
  CHECK(crmx::lsp::PathFromUri(t["uri"]) == customer);
  CHECK(t["range"]["start"]["line"] == LineOf(customer, "\"name\": \"subsidiary\""));

  nlohmann::json o = crmx::lsp::Definition(doc, At(doc, "Account -> erp", 2));
  REQUIRE(o.is_object());
  CHECK(crmx::lsp::PathFromUri(o["uri"]) == account);

  CHECK(crmx::lsp::Definition(doc, At(doc, "state_code", 1)).is_null());
}

TEST_CASE("completion while typing a source field: the source object's fields only") {
  Document doc = Acme("phone       = e164(Phone, country) ?? null", "phone       = Pho");
  nlohmann::json list = crmx::lsp::Completion(doc, End(doc, "phone       = Pho"));
  std::set<std::string> labels = Labels(list);
  CHECK(labels.count("Phone") == 1);
  CHECK(labels.count("StageName") == 0);
  for (const std::string& l : labels) CHECK(l.substr(0, 3) == "Pho");
  const nlohmann::json* phone = Item(list, "Phone");
  REQUIRE(phone != nullptr);
  CHECK((*phone)["kind"] == 5);
  CHECK((*phone)["detail"] == "string, nullable");
  CHECK((*phone)["textEdit"]["newText"] == "Phone");
}

TEST_CASE("completion in the middle of a word: filtered by what precedes the cursor, replaces the word") {
  Document doc = Acme("phone       = e164(Phone, country) ?? null", "phone       = Phoxyz");
  Position pos = End(doc, "phone       = Pho");
  nlohmann::json list = crmx::lsp::Completion(doc, pos);
  std::set<std::string> labels = Labels(list);
  CHECK(labels.count("Phone") == 1);
  for (const std::string& l : labels) CHECK(l.substr(0, 3) == "Pho");
  const nlohmann::json* phone = Item(list, "Phone");
  REQUIRE(phone != nullptr);
  const nlohmann::json& range = (*phone)["textEdit"]["range"];
  CHECK(range["start"]["character"] == pos.character - 3);
  CHECK(range["end"]["character"] == pos.character + 3);  // through `xyz`
  CHECK(range["start"]["line"] == pos.line);
}

TEST_CASE("completion in an expression: fields, tables, functions, keywords, picklist documentation") {
  Document doc = Acme("phone       = e164(Phone, country) ?? null", "phone       = ");
  nlohmann::json list = crmx::lsp::Completion(doc, End(doc, "phone       = "));
  std::set<std::string> labels = Labels(list);
  for (const char* want : {"BillingCountry", "Industry", "item_by_sku", "subsidiary_by_country", "state_code", "trim", "hold", "ref", "null"}) {
    CHECK_MESSAGE(labels.count(want) == 1, want);
  }
  CHECK(labels.count("Amount") == 0);      // a field of Opportunity
  CHECK(labels.count("companyName") == 0); // a target field
  CHECK(labels.count("map") == 0);         // an item keyword
  const nlohmann::json* industry = Item(list, "Industry");
  REQUIRE(industry != nullptr);
  CHECK((*industry)["documentation"]["value"].get<std::string>().find("picklist values: ") != std::string::npos);
  const nlohmann::json* fn = Item(list, "state_code");
  REQUIRE(fn != nullptr);
  CHECK((*fn)["detail"].get<std::string>().find("state_code(") == 0);
}

TEST_CASE("completion after a trailing dot: the related object's fields") {
  Document doc = Acme("currency_of(Account.BillingCountry)", "currency_of(Account.");
  nlohmann::json list = crmx::lsp::Completion(doc, End(doc, "currency_of(Account."));
  std::set<std::string> labels = Labels(list);
  CHECK(labels.count("BillingCountry") == 1);
  CHECK(labels.count("Industry") == 1);
  CHECK(labels.count("StageName") == 0);  // Opportunity's, the map's source
  CHECK(labels.count("companyName") == 0);

  Document var = Acme("rate: li.UnitPrice,", "rate: li.");
  std::set<std::string> li = Labels(crmx::lsp::Completion(var, End(var, "rate: li.")));
  CHECK(li.count("UnitPrice") == 1);
  CHECK(li.count("Quantity") == 1);
  CHECK(li.count("StageName") == 0);

  Document sys = Acme("map order_status_back: erp.SalesOrder", "map order_status_back: erp.");
  std::set<std::string> objects = Labels(crmx::lsp::Completion(sys, End(sys, "order_status_back: erp.")));
  CHECK(Joined(objects) == "Customer Invoice SalesOrder");

  Document str = Acme("Name.trim().truncate(83)", "Name.");
  std::set<std::string> fns = Labels(crmx::lsp::Completion(str, End(str, "companyName = Name.")));
  CHECK(fns.count("trim") == 1);
  CHECK(fns.count("BillingCountry") == 0);
}

TEST_CASE("completion on the left of `=`: the target's fields, required and unassigned first") {
  Document doc = Acme("    subsidiary  = Subsidiary__c", "    sub\n    subsidiary  = Subsidiary__c");
  nlohmann::json list = crmx::lsp::Completion(doc, End(doc, "    sub"));
  CHECK(Labels(list) == std::set<std::string>{"subsidiary"});
  const nlohmann::json* sub = Item(list, "subsidiary");
  REQUIRE(sub != nullptr);
  CHECK((*sub)["detail"] == "picklist, required, assigned");

  Document blank = Acme("    terms       = ", "    \n    terms       = ");
  Position pos = End(blank, "\"address:from_shipping\"\n    country     = country_code(BillingCountry ?? ShippingCountry) ?? hold \"Unknown country\"\n    phone       = e164(Phone, country) ?? null\n    ");
  nlohmann::json all = crmx::lsp::Completion(blank, pos);
  std::set<std::string> labels = Labels(all);
  CHECK(labels.count("email") == 1);
  CHECK(labels.count("key") == 1);
  CHECK(labels.count("require") == 1);
  CHECK(labels.count("BillingState") == 0);
  const nlohmann::json* email = Item(all, "email");
  const nlohmann::json* company = Item(all, "companyName");
  const nlohmann::json* id = Item(all, "id");
  REQUIRE(email != nullptr);
  REQUIRE(company != nullptr);
  REQUIRE(id != nullptr);
  CHECK((*company)["detail"].get<std::string>().find("assigned") != std::string::npos);
  // Not assigned yet sorts before assigned; read-only fields last.
  CHECK((*email)["sortText"].get<std::string>() < (*company)["sortText"].get<std::string>());
  CHECK((*company)["sortText"].get<std::string>() < (*id)["sortText"].get<std::string>());
}

TEST_CASE("completion of the keys of an object literal written into a target field: its row's fields") {
  Document doc = Acme("                 quantity: li.Quantity,", "                 qu");
  std::set<std::string> keys = Labels(crmx::lsp::Completion(doc, End(doc, "                 qu")));
  CHECK(Joined(keys) == "quantity quantityBilled quantityFulfilled");
  Document all = Acme("                 quantity: li.Quantity,", "                 ");
  std::set<std::string> fields = Labels(crmx::lsp::Completion(all, End(all, "hold \"Unknown SKU\",\n                 ")));
  CHECK(fields.count("item") == 1);
  CHECK(fields.count("rate") == 1);
  CHECK(fields.count("Quantity") == 0);  // a source field: not a key
  CHECK(fields.count("entity") == 0);    // a field of SalesOrder itself
}

TEST_CASE("completion of map names, systems and top-level keywords") {
  Document doc = Acme("entity   = ref(account_to_customer, AccountId)", "entity   = ref(acc");
  nlohmann::json refs = crmx::lsp::Completion(doc, End(doc, "ref(acc"));
  CHECK(Labels(refs) == std::set<std::string>{"account_to_customer"});

  Document sync = Acme("sync order_status_back on change", "sync ");
  std::set<std::string> maps = Labels(crmx::lsp::Completion(sync, End(sync, "every 1h\n  sync ")));
  CHECK(Joined(maps) == "account_to_customer order_status_back won_to_order");

  Document top = Acme("  // Where field authority", "  \n  // Where field authority");
  std::set<std::string> kws = Labels(crmx::lsp::Completion(top, At(top, "\n  // Where field authority", 0)));
  std::set<std::string> items;
  for (const std::string& w : crmx::syntax::ItemKeywords()) items.insert(w);
  CHECK(Joined(kws) == Joined(items));
  CHECK(kws.count("map") == 1);

  // Nothing inside a comment or a string.
  CHECK(crmx::lsp::Completion(top, At(top, "field authority", 3))["items"].empty());
  CHECK(crmx::lsp::Completion(top, At(top, "missing Name", 3))["items"].empty());
}

TEST_CASE("completion in the conditions of syncs, alerts and reconciles") {
  Document sync = Acme("when StageName == \"Closed Won\"", "when Sta");
  std::set<std::string> s = Labels(crmx::lsp::Completion(sync, End(sync, "when Sta")));
  CHECK(Joined(s) == "StageName startsWith state_code");  // Opportunity's field, functions
  Document alert = Acme("when status == \"Pending Approval\"", "when sta");
  std::set<std::string> a = Labels(crmx::lsp::Completion(alert, End(alert, "on erp.SalesOrder when sta")));
  CHECK(Joined(a) == "startsWith state_code status");  // SalesOrder's field, functions
  Document rec = Acme("by Id == externalId", "by Id == ext");
  std::set<std::string> r = Labels(crmx::lsp::Completion(rec, End(rec, "by Id == ext")));
  CHECK(Joined(r) == "externalId");
}

TEST_CASE("completion keeps the schemas of the last version that parsed when a system block breaks") {
  Document good = Acme();
  crmx::lsp::Hover(good, At(good, "companyName", 1));  // analyzes the version that parses
  // `system crm: {` (the kind being retyped) breaks the block: the parse recovers without it.
  Document typing(good.uri(), good.path(),
                  [&] {
                    std::string t = good.text();
                    t.replace(t.find("system crm: salesforce {"), 24, "system crm: {");
                    t.replace(t.find("phone       = e164(Phone, country) ?? null"), 42, "phone       = Pho");
                    return t;
                  }(),
                  next_version++);
  std::set<std::string> labels = Labels(crmx::lsp::Completion(typing, End(typing, "phone       = Pho")));
  CHECK(labels.count("Phone") == 1);
}

TEST_CASE("completion in owner blocks and spec-test records") {
  Document doc = Acme("    Customer   { creditLimit, balance }", "    Customer   { creditLimit, ba");
  std::set<std::string> owned = Labels(crmx::lsp::Completion(doc, End(doc, "{ creditLimit, ba")));
  CHECK(Joined(owned) == "balance");

  Document rec = Acme("expect exception \"missing Name\"", "given crm.Account { Bill");
  std::set<std::string> fields = Labels(crmx::lsp::Completion(rec, End(rec, "given crm.Account { Bill")));
  CHECK(fields.count("BillingState") == 1);
  CHECK(fields.count("BillingCountry") == 1);
  for (const std::string& l : fields) CHECK(l.substr(0, 4) == "Bill");
}

TEST_CASE("the analysis is cached per version; a new version is analyzed again") {
  Document a = Acme();
  nlohmann::json first = crmx::lsp::Hover(a, At(a, "companyName", 1));
  nlohmann::json again = crmx::lsp::Hover(a, At(a, "companyName", 1));
  CHECK(first == again);
  // Same URI, new version: `companyName` renamed, the hover follows the new text.
  Document b = Acme("companyName = Name", "entityId = Name");
  nlohmann::json changed = crmx::lsp::Hover(b, At(b, "entityId", 1));
  REQUIRE(changed.is_object());
  CHECK(changed["contents"]["value"].get<std::string>().find("**entityId**") == 0);
}

TEST_CASE("the keywords completion offers are the grammar's") {
  std::string grammar = Read(std::string(CRMX_SOURCE_DIR) + "/grammar/Crmx.g4");
  size_t begin = grammar.find("// KEYWORDS (reserved)");
  size_t mid = grammar.find("// CONTEXTUAL KEYWORDS");
  size_t end = grammar.find("// END KEYWORDS");
  REQUIRE(begin < mid);
  REQUIRE(mid < end);
  std::regex rule(R"(^[A-Z][A-Z0-9_]*\s*:\s*'([^']+)'\s*;)");
  auto words = [&](size_t from, size_t to) {
    std::set<std::string> out;
    std::istringstream lines(grammar.substr(from, to - from));
    std::string line;
    std::smatch m;
    while (std::getline(lines, line)) {
      if (std::regex_search(line, m, rule)) out.insert(m[1]);
    }
    return out;
  };
  std::set<std::string> reserved, contextual;
  for (const crmx::syntax::Keyword& k : crmx::syntax::Keywords()) (k.reserved ? reserved : contextual).insert(k.word);
  CHECK(reserved == words(begin, mid));
  CHECK(contextual == words(mid, end));
  for (const std::string& w : crmx::syntax::ItemKeywords()) CHECK(reserved.count(w) == 1);
  for (const std::string& w : crmx::syntax::MapStatementKeywords()) CHECK(reserved.count(w) == 1);
}

TEST_CASE("every feature answers on every prefix of the north star (the user typing it)") {
  const std::string full = Read(kAcme);
  REQUIRE(full.size() > 1000);
  for (size_t cut = 0; cut <= full.size(); cut += full.size() / 47 + 1) {
    Document doc(crmx::lsp::UriFromPath(kAcme), kAcme, full.substr(0, cut), next_version++);
    Position end = doc.At(cut);
    nlohmann::json list = crmx::lsp::Completion(doc, end);
    REQUIRE(list["items"].is_array());
    for (const nlohmann::json& item : list["items"]) {
      CHECK(item["label"].is_string());
      CHECK(item["kind"].is_number_integer());
    }
    for (size_t at : {cut / 3, cut / 2, cut}) {
      nlohmann::json h = crmx::lsp::Hover(doc, doc.At(at));
      CHECK((h.is_null() || h["contents"]["value"].is_string()));
      nlohmann::json d = crmx::lsp::Definition(doc, doc.At(at));
      CHECK((d.is_null() || d["uri"].is_string()));
    }
  }
}
