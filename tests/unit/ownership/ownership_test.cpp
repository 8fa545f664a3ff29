// Tests who owns each target field of a built plan (plan::TargetField::owner and ::constant,
// decided by the check's ownership rules through compiler/check/ownership.h), the plan file's
// version 6 (ownership written and read back) and version 5 (read, ownership unknown), and
// CountSorDecisions (runtime/plan/ownership.h), on small specs built in memory against the
// fixture schemas of tests/ui/integration/schemas.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"
#include "runtime/plan/ownership.h"
#include "runtime/plan/plan.h"
#include "tests/unit/support/example_spec.h"

namespace {

using namespace crmx;

// Built as if it were tests/ui/integration/spec.crmx, so `schemas/...` resolves there.
const char* const kPath = CRMX_SOURCE_DIR "/tests/ui/integration/spec.crmx";

struct Built {
  plan::Plan plan;
  std::vector<std::string> codes;  // the check's diagnostics, sorted
  std::vector<std::pair<std::string, uint32_t>> unowned_warnings;  // E0404: (map line text, line)
};

Built Build(const std::string& items, bool errors_allowed = false) {
  std::string text = "integration t {\n"
                     "  use std.text\n"
                     "  system crm: salesforce { schema \"schemas/crm.json\" }\n"
                     "  system erp: netsuite { schema \"schemas/erp.json\" }\n" +
                     items + "\n}\n";
  driver::Compilation c;
  c.CheckText(kPath, text);
  Built out;
  std::string messages;
  for (const diag::Diagnostic& d : c.SortedDiagnostics()) {
    out.codes.emplace_back(d.code());
    messages += std::string(d.code()) + " line " + std::to_string(d.primary.span.line) + ": " + d.message + "\n";
  }
  if (!errors_allowed) REQUIRE_MESSAGE(c.sink().error_count() == 0, "the spec has errors:\n" << messages);
  driver::SpecPlan built;
  std::string error;
  bool usage = false;
  REQUIRE_MESSAGE(driver::BuildSpecPlan(c, kPath, built, error, usage), error);
  REQUIRE(built.errors.empty());
  out.plan = std::move(built.plan);
  return out;
}

const plan::TargetField& Field(const plan::Plan& p, const std::string& map, const std::string& name) {
  const plan::Map* m = p.FindMap(map);
  REQUIRE_MESSAGE(m != nullptr, "no map " << map);
  for (const plan::TargetField& f : m->target_fields)
    if (f.name == name) return f;
  FAIL("map " << map << " has no target field " << name);
  throw 0;
}

// "owner" or "constant" or "-" (none), per target field of `map`.
std::map<std::string, std::string> Owners(const plan::Plan& p, const std::string& map) {
  std::map<std::string, std::string> out;
  for (const plan::TargetField& f : p.FindMap(map)->target_fields)
    out[f.name] = f.constant ? "constant" : f.owner.empty() ? "-" : f.owner;
  return out;
}

const std::string kAccountToCustomer =
    "  map a2c: crm.Account -> erp.Customer {\n"
    "    key externalId = Id\n"
    "    companyName = Name.trim()\n"
    "    subsidiary = Subsidiary__c ?? hold \"r\"\n"
    "    comments = Description\n"
    "    category = BillingCountry\n"
    "    phone = Phone\n"
    "    entityId = \"ACME\"\n"
    "  }\n"
    "  sync a2c every 1h\n";

std::set<std::string> Unowned(const plan::SorDecisions& d) {
  std::set<std::string> out;
  for (const auto& [map, field] : d.unowned) out.insert(map + ": " + field);
  return out;
}

}  // namespace

TEST_CASE("a copy of a field the source owns is the source's; a compound field owns its parts; a constant is nobody's") {
  Built b = Build("  owner crm { Account { Name, BillingAddress, Subsidiary__c } }\n" + kAccountToCustomer);
  // Description and Phone have no owner: the check warns (E0404) for each, the plan records none.
  CHECK(b.codes == std::vector<std::string>{"E0404", "E0404"});
  std::map<std::string, std::string> want{{"externalId", "-"}, {"companyName", "crm"}, {"subsidiary", "crm"},
                                          {"comments", "-"},   {"category", "crm"},    {"phone", "-"},
                                          {"entityId", "constant"}};
  CHECK(Owners(b.plan, "a2c") == want);
  CHECK(b.plan.ownership_known);

  plan::SorDecisions d = plan::CountSorDecisions(b.plan);
  CHECK(d.known);
  // The key pairs ids (`externalId = Id`) and `entityId` is a constant: neither is synced.
  CHECK(d.synced == 5);
  CHECK(d.owned == 3);
  CHECK(Unowned(d) == std::set<std::string>{"a2c: erp.Customer.comments", "a2c: erp.Customer.phone"});
}

TEST_CASE("`*` owns every field, `* except` all but those named") {
  Built all = Build("  owner crm { Account { * } }\n" + kAccountToCustomer);
  CHECK(all.codes.empty());
  std::map<std::string, std::string> want{{"externalId", "crm"}, {"companyName", "crm"}, {"subsidiary", "crm"},
                                          {"comments", "crm"},   {"category", "crm"},    {"phone", "crm"},
                                          {"entityId", "constant"}};
  CHECK(Owners(all.plan, "a2c") == want);
  plan::SorDecisions d = plan::CountSorDecisions(all.plan);
  CHECK(d.synced == 5);
  CHECK(d.owned == 5);
  CHECK(d.unowned.empty());

  // `except BillingAddress` leaves out its parts too, as the check decides.
  Built except = Build("  owner crm { Account { * except Description, BillingAddress } }\n" + kAccountToCustomer);
  CHECK(except.codes == std::vector<std::string>{"E0404", "E0404"});
  want["comments"] = "-";
  want["category"] = "-";
  CHECK(Owners(except.plan, "a2c") == want);
  CHECK(plan::CountSorDecisions(except.plan).owned == 3);
}

TEST_CASE("a field an owner block of the target system claims is the target's") {
  // Writing it from the other system is E0402: such a plan is never built by `crmxc build`,
  // but the model still says who owns it.
  Built b = Build("  owner erp { Customer { comments } }\n" + kAccountToCustomer, /*errors_allowed=*/true);
  CHECK(std::count(b.codes.begin(), b.codes.end(), "E0402") == 1);
  CHECK(Field(b.plan, "a2c", "comments").owner == "erp");
  CHECK(Field(b.plan, "a2c", "companyName").owner.empty());

  // The other direction copies it: the field the source system owns.
  Built back = Build("  owner erp { Customer { comments } }\n"
                     "  map c2a: erp.Customer -> crm.Account {\n"
                     "    key Id = externalId\n"
                     "    Description = comments\n"
                     "    Phone = phone\n"
                     "  }\n"
                     "  sync c2a on change\n");
  CHECK(back.codes == std::vector<std::string>{"E0404"});
  CHECK(Owners(back.plan, "c2a") == std::map<std::string, std::string>{{"Id", "-"}, {"Description", "erp"}, {"Phone", "-"}});
  plan::SorDecisions d = plan::CountSorDecisions(back.plan);
  // `key Id = ...` writes the target record's own id: identity, not a synced field.
  CHECK(d.synced == 2);
  CHECK(d.owned == 1);
  CHECK(Unowned(d) == std::set<std::string>{"c2a: crm.Account.Phone"});
}

TEST_CASE("a spec with no owner blocks owns nothing, and a key on a business field is synced") {
  Built b = Build(kAccountToCustomer +
                  "  map e2e: crm.Account -> erp.Employee {\n"
                  "    key externalId = Name\n"
                  "    email = Description\n"
                  "  }\n"
                  "  sync e2e every 1h\n");
  CHECK(b.codes.empty());
  for (const plan::Map& m : b.plan.maps)
    for (const plan::TargetField& f : m.target_fields) CHECK_MESSAGE(f.owner.empty(), m.name << "." << f.name);
  CHECK(Field(b.plan, "a2c", "entityId").constant);
  plan::SorDecisions d = plan::CountSorDecisions(b.plan);
  CHECK(d.known);
  // a2c: 5 as above; e2e: `key externalId = Name` reads a field that is no id.
  CHECK(d.synced == 7);
  CHECK(d.owned == 0);
  CHECK(Unowned(d).count("e2e: erp.Employee.externalId") == 1);
  CHECK(Unowned(d).count("e2e: erp.Employee.email") == 1);
}

TEST_CASE("what the plan leaves without an owner is what the check warns about (E0404)") {
  // The plan and the check share one decision: with owner blocks and no conflicts rule, every
  // assignment the plan leaves unowned (keys and constants aside) is one E0404, and no more.
  for (const char* owners : {"  owner crm { Account { Name } }\n", "  owner crm { Account { * except Phone } }\n",
                             "  owner crm { Account { BillingAddress, Description } }\n"}) {
    Built b = Build(owners + kAccountToCustomer);
    size_t unowned = 0;
    const plan::Map* m = b.plan.FindMap("a2c");
    for (const plan::TargetField& f : m->target_fields) {
      if (f.name == "externalId") continue;
      if (!f.constant && f.owner.empty()) ++unowned;
    }
    CHECK_MESSAGE(static_cast<size_t>(std::count(b.codes.begin(), b.codes.end(), "E0404")) == unowned, owners);
    CHECK(unowned > 0);
  }
}

TEST_CASE("ownership goes through the plan file (version 6), and a version-5 plan reads as unknown") {
  Built b = Build("  owner crm { Account { Name, BillingAddress } }\n" + kAccountToCustomer);
  std::string text = plan::WritePlan(b.plan);
  nlohmann::json file = nlohmann::json::parse(text);
  CHECK(file["crmx_plan"] == 6);
  plan::Plan read;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(text, read, error), error);
  CHECK(read.ownership_known);
  CHECK(Owners(read, "a2c") == Owners(b.plan, "a2c"));
  CHECK(plan::WritePlan(read) == text);

  // Version 5: what crmxc built before ownership (no `owner`, no `constant`).
  plan::Plan old = b.plan;
  for (plan::Map& m : old.maps)
    for (plan::TargetField& f : m.target_fields) {
      f.owner.clear();
      f.constant = false;
    }
  nlohmann::json v5 = nlohmann::json::parse(plan::WritePlan(old));
  v5["crmx_plan"] = 5;
  std::string v5_text = v5.dump(1) + "\n";
  REQUIRE_MESSAGE(plan::ReadPlan(v5_text, read, error), error);
  CHECK_FALSE(read.ownership_known);
  plan::SorDecisions d = plan::CountSorDecisions(read);
  CHECK_FALSE(d.known);
  CHECK(d.synced == 0);
  // Written back, it stays version 5, byte for byte.
  CHECK(plan::WritePlan(read) == v5_text);

  // Older than 5, or newer than 6: refused.
  for (int version : {4, 7}) {
    v5["crmx_plan"] = version;
    CHECK_FALSE(plan::ReadPlan(v5.dump(), read, error));
    CHECK(error.find("unsupported plan version " + std::to_string(version)) != std::string::npos);
  }
}

TEST_CASE("a version-6 plan whose constant has an owner is malformed") {
  Built b = Build("  owner crm { Account { Name } }\n" + kAccountToCustomer);
  for (plan::Map& m : b.plan.maps)
    for (plan::TargetField& f : m.target_fields)
      if (f.constant) f.owner = "crm";
  plan::Plan read;
  std::string error;
  CHECK_FALSE(plan::ReadPlan(plan::WritePlan(b.plan), read, error));
  CHECK(error.find("is a constant with an owner") != std::string::npos);
}

namespace {

// `text` without its lines that hold `needle`.
std::string WithoutLines(const std::string& text, const std::string& needle) {
  std::string out, line;
  std::istringstream in(text);
  while (std::getline(in, line))
    if (line.find(needle) == std::string::npos) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("the examples: the unowned synced fields are the E0404 warnings their conflicts rule silences") {
  for (const char* spec : {"/examples/acme-salesforce-netsuite/acme.crmx",
                           "/examples/hubspot-quickbooks/hubspot-quickbooks.crmx"}) {
    std::string path = std::string(CRMX_SOURCE_DIR) + spec;
    plan::SorDecisions d = plan::CountSorDecisions(testing::BuildSpecPlanOrFail(path));
    std::string unowned;
    std::set<std::string> fields;
    for (const auto& [map, field] : d.unowned) {
      unowned += " " + map + ": " + field + ";";
      fields.insert(field.substr(field.find('.') + 1));  // "Customer.subsidiary"
    }
    MESSAGE(std::string(spec) << ": synced " << d.synced << ", owned " << d.owned << ", unowned:" << unowned);
    CHECK(d.known);
    CHECK(d.synced > 0);
    CHECK(d.owned + static_cast<int64_t>(d.unowned.size()) == d.synced);

    // Without `conflicts`, the check warns about each field that has no owner (E0404): the
    // same fields, since the plan's owners are the check's decision (keys aside: the check's
    // rules skip them, and the count leaves out those that pair ids).
    std::string text = testing::ReadFile(path);
    REQUIRE(text.find("conflicts latest_wins") != std::string::npos);
    driver::Compilation strict;
    strict.CheckText(path, WithoutLines(text, "conflicts latest_wins"));
    std::set<std::string> warned;
    for (const diag::Diagnostic& w : strict.SortedDiagnostics()) {
      if (std::string(w.code()) != "E0404") continue;
      size_t open = w.message.find('`'), close = w.message.find('`', open + 1);
      warned.insert(w.message.substr(open + 1, close - open - 1));
    }
    CHECK(warned == fields);
  }
}

TEST_CASE("CountSorDecisions: maps within one system, constants and id-pairing keys are not synced fields") {
  auto field = [](const std::string& name, const std::string& owner, bool constant = false) {
    plan::TargetField f;
    f.name = name;
    f.path = {name};
    f.owner = owner;
    f.constant = constant;
    return f;
  };
  auto key = [](const std::string& target, const std::string& reads) {
    plan::Step s;
    s.kind = plan::StepKind::kKey;
    s.target = target;
    s.bindings.push_back(plan::Binding{reads, plan::BindingKind::kField, "", reads});
    return s;
  };
  plan::Plan p;
  plan::Map across;
  across.name = "across";
  across.source = {"crm", "Account"};
  across.target = {"erp", "Customer"};
  across.source_id = "Id";
  across.target_id = "id";
  across.steps = {key("externalId", "Id")};
  plan::TargetField lines = field("lines", "crm");
  lines.element = {field("item", ""), field("rate", "")};
  across.target_fields = {field("externalId", ""), field("companyName", "crm"), field("memo", ""),
                          field("active", "", true), lines};
  plan::Map inside = across;
  inside.name = "inside";
  inside.target = {"crm", "Contact"};
  plan::Map business = across;
  business.name = "business";
  business.steps = {key("externalId", "Name")};
  business.target_fields = {field("externalId", "")};
  plan::Map by_target_id = across;
  by_target_id.name = "by_target_id";
  by_target_id.steps = {key("id", "externalId")};
  by_target_id.target_fields = {field("id", "")};
  p.maps = {across, inside, business, by_target_id};

  plan::SorDecisions d = plan::CountSorDecisions(p);
  CHECK(d.known);
  // across: companyName, memo, lines (once, its elements not apart); business: its key.
  CHECK(d.synced == 4);
  CHECK(d.owned == 2);
  CHECK(Unowned(d) == std::set<std::string>{"across: erp.Customer.memo", "business: erp.Customer.externalId"});

  p.ownership_known = false;
  CHECK_FALSE(plan::CountSorDecisions(p).known);
}
