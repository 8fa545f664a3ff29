// Schema overlays (compiler/check/overlays.h): the `field` settings of a system applied to the
// QuickBooks-like fixture schema of tests/ui/overlays/schemas/qbo.json, read back from the
// overlaid schema model; and, through the driver, the overlaid facts in the plan.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "compiler/check/overlays.h"
#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"
#include "compiler/schema/import.h"
#include "compiler/syntax/parser.h"

namespace {

using crmx::schema::Field;
using crmx::schema::Object;
using crmx::schema::TypeKind;

const char* const kQbo = CRMX_SOURCE_DIR "/tests/ui/overlays/schemas/qbo.json";

// The fixture schema with the overlays of `settings` (the body of `system erp: quickbooks {}`)
// applied, and the codes of what they reported.
struct Applied {
  crmx::schema::Schema schema;
  std::vector<std::string> codes;
  std::vector<crmx::diag::Diagnostic> diags;
  crmx::check::OverlaySpans spans;

  const Field* At(const std::string& object, const std::vector<std::string>& path) const {
    const Object* o = schema.FindObject(object);
    const Field* f = nullptr;
    for (size_t i = 0; o != nullptr && i < path.size(); ++i) {
      f = o->FindField(path[i]);
      if (f == nullptr || i + 1 == path.size()) break;
      o = schema.Resolve(f->type.kind == TypeKind::kList ? *f->type.element : f->type);
    }
    return f;
  }
};

Applied Apply(const std::string& settings, bool complete = true) {
  Applied out;
  crmx::schema::ImportResult imported = crmx::schema::ImportAuto({kQbo}, {});
  REQUIRE(imported.ok());
  out.schema = std::move(imported.schema);
  if (!complete) out.schema.objects.clear();
  out.schema.Reindex();
  crmx::SourceManager sm;
  crmx::FileId id = sm.Add("spec.crmx", "integration t {\n  system erp: quickbooks {\n" + settings + "\n  }\n}\n");
  crmx::diag::DiagnosticSink sink;
  std::unique_ptr<crmx::ast::Module> m = crmx::syntax::Parse(sm.Get(id), sink);
  REQUIRE(sink.diagnostics().empty());
  std::vector<const crmx::ast::SystemDecl*> systems = m->All<crmx::ast::SystemDecl>();
  REQUIRE(systems.size() == 1);
  out.spans = crmx::check::ApplyOverlays(*systems[0], out.schema, complete, sink);
  out.diags = sink.diagnostics();
  for (const auto& d : out.diags) out.codes.emplace_back(d.code());
  return out;
}

using Codes = std::vector<std::string>;

}  // namespace

TEST_CASE("write-mode facts set createable, updateable and calculated") {
  Applied a = Apply(
      "field Invoice.TotalAmt computed\n"
      "field Customer.CompanyName createonly\n"
      "field Customer.SyncToken updateonly\n"
      "field Customer.Balance writable\n"
      "field Invoice.DocNumber readonly");
  CHECK(a.codes.empty());
  const Field* total = a.At("Invoice", {"TotalAmt"});
  REQUIRE(total != nullptr);
  // The file says nothing of it: permissive before, read-only and computed after.
  CHECK(total->calculated == true);
  CHECK_FALSE(total->IsCreateable());
  CHECK_FALSE(total->IsUpdateable());
  const Field* company = a.At("Customer", {"CompanyName"});
  CHECK(company->IsCreateable());
  CHECK_FALSE(company->IsUpdateable());
  const Field* token = a.At("Customer", {"SyncToken"});
  CHECK_FALSE(token->IsCreateable());
  CHECK(token->IsUpdateable());
  // `writable` corrects a file that says read-only.
  const Field* balance = a.At("Customer", {"Balance"});
  CHECK(balance->IsCreateable());
  CHECK(balance->IsUpdateable());
  CHECK(a.At("Invoice", {"DocNumber"})->IsReadOnly());
  CHECK(a.spans.count("Invoice.TotalAmt") == 1);
  CHECK(a.At("Invoice", {"TotalAmt"})->extensions.at("crmx:overlay") == "computed");
}

TEST_CASE("required, optional, external_id and unique") {
  Applied a = Apply(
      "field Customer.DisplayName required unique\n"
      "field Invoice.CustomerRef optional\n"
      "field Invoice.DocNumber external_id");
  CHECK(a.codes.empty());
  const Field* name = a.At("Customer", {"DisplayName"});
  CHECK(name->IsRequiredOnCreate());
  CHECK(name->unique == true);
  // The file marks CustomerRef as always in the document (`required`); `optional` undoes it.
  const Field* ref = a.At("Invoice", {"CustomerRef"});
  CHECK(ref->required == false);
  CHECK_FALSE(ref->IsRequiredOnCreate());
  CHECK(a.At("Invoice", {"DocNumber"})->IsExternalId());
}

TEST_CASE("a type replaces the field's type and facets; a field the file lacks is added") {
  Applied a = Apply(
      "field Invoice.DocNumber: string(30)\n"
      "field Customer.Notes: picklist(\"A\", \"B\")\n"
      "field Invoice.EmailStatus unrestricted\n"
      "field Customer.Crmx_Id__c: string(40) external_id unique\n"
      "field Customer.Rate: decimal(18, 4)\n"
      "field Customer.Parent: reference(Customer)");
  CHECK(a.codes.empty());
  CHECK(a.At("Invoice", {"DocNumber"})->length == 30u);
  const Field* notes = a.At("Customer", {"Notes"});
  CHECK(notes->type.kind == TypeKind::kPicklist);
  CHECK(notes->picklist.values.size() == 2);
  // Values an overlay lists are what the system takes: restricted unless it says otherwise.
  CHECK(notes->picklist.restricted == true);
  CHECK(a.At("Invoice", {"EmailStatus"})->picklist.restricted == false);
  const Field* added = a.At("Customer", {"Crmx_Id__c"});
  REQUIRE(added != nullptr);
  CHECK(added->type.kind == TypeKind::kString);
  CHECK(added->length == 40u);
  CHECK(added->IsExternalId());
  const Field* rate = a.At("Customer", {"Rate"});
  CHECK(rate->precision == 18u);
  CHECK(rate->scale == 4u);
  CHECK(a.At("Customer", {"Parent"})->references.targets == std::vector<std::string>{"Customer"});
}

TEST_CASE("an overlay through a shared structure changes that path only") {
  Applied a = Apply(
      "field Invoice.CustomerRef.value required\n"
      "field Invoice.Line.Amount computed\n"
      "field Invoice.Line.SalesItemLineDetail.TaxCodeRef.value: picklist(\"TAX\", \"NON\")");
  CHECK(a.codes.empty());
  CHECK(a.At("Invoice", {"CustomerRef", "value"})->IsRequiredOnCreate());
  // ReferenceType itself, and ItemRef which uses it, keep what the file says.
  CHECK_FALSE(a.At("ReferenceType", {"value"})->IsRequiredOnCreate());
  CHECK(a.At("Invoice", {"Line", "SalesItemLineDetail", "ItemRef", "value"})->type.kind == TypeKind::kString);
  CHECK(a.At("Invoice", {"Line", "SalesItemLineDetail", "TaxCodeRef", "value"})->type.kind == TypeKind::kPicklist);
  CHECK(a.At("Invoice", {"Line", "Amount"})->IsReadOnly());
}

TEST_CASE("contradictory facts are E0207 and the later one is not applied") {
  CHECK(Apply("field Invoice.TotalAmt readonly writable").codes == Codes{"E0207"});
  CHECK(Apply("field Invoice.TotalAmt computed readonly").codes.empty());
  CHECK(Apply("field Customer.DisplayName required optional").codes == Codes{"E0207"});
  CHECK(Apply("field Customer.DisplayName required updateonly").codes == Codes{"E0207"});
  Applied a = Apply("field Invoice.DocNumber createonly\nfield Invoice.DocNumber updateonly");
  CHECK(a.codes == Codes{"E0207"});
  CHECK_FALSE(a.At("Invoice", {"DocNumber"})->IsUpdateable());
  // Required on a field the file says no create can set, unless the overlay corrects that too.
  CHECK(Apply("field Customer.Balance required").codes == Codes{"E0207"});
  CHECK(Apply("field Customer.Balance required writable").codes.empty());
  CHECK(Apply("field Invoice.DocNumber: string(20)\nfield Invoice.DocNumber: text").codes == Codes{"E0207"});
  // Repeating the same type is not a contradiction.
  CHECK(Apply("field Invoice.DocNumber: string(20)\nfield Invoice.DocNumber: string(20) unique").codes.empty());
}

TEST_CASE("unknown facts, types and arguments are E0208 with the closest name") {
  Applied a = Apply("field Invoice.TotalAmt read_only");
  REQUIRE(a.codes == Codes{"E0208"});
  CHECK(a.diags[0].help == std::string("did you mean `readonly`?"));
  CHECK(Apply("field Invoice.DocNumber: strng").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber: string(0)").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber: decimal(4, 6)").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber: picklist").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber: bool(1)").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber restricted").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.Line external_id").codes == Codes{"E0208"});
  CHECK(Apply("field Invoice.DocNumber.x readonly").codes == Codes{"E0208"});
}

TEST_CASE("unknown objects and fields suggest the closest name; a type adds the field") {
  Applied a = Apply("field Invoce.TotalAmt readonly");
  REQUIRE(a.codes == Codes{"E0204"});
  CHECK(a.diags[0].help == std::string("did you mean `Invoice`?"));
  a = Apply("field Invoice.TotalAmnt readonly");
  REQUIRE(a.codes == Codes{"E0301"});
  CHECK(a.diags[0].help == std::string("did you mean `TotalAmt`?"));
  CHECK(a.At("Invoice", {"TotalAmnt"}) == nullptr);
  CHECK(Apply("field Invoice.Line.Amout readonly").codes == Codes{"E0301"});
  // With a type it is added, with a warning when it is named like an existing field.
  a = Apply("field Invoice.TotalAmnt: currency computed");
  CHECK(a.codes == Codes{"E0209"});
  CHECK(a.At("Invoice", {"TotalAmnt"}) != nullptr);
  CHECK(Apply("field Customer.displayname: string").codes == Codes{"E0209"});
}

TEST_CASE("with a schema that failed to load, names are not reported but facts are") {
  CHECK(Apply("field Invoce.TotalAmt readonly", false).codes.empty());
  CHECK(Apply("field Invoice.TotalAmt read_only", false).codes == Codes{"E0208"});
}

TEST_CASE("`required` means no default fills the field in") {
  Applied a = Apply("field Customer.Notes required");
  CHECK(a.codes.empty());
  const Field* notes = a.At("Customer", {"Notes"});
  CHECK(notes->defaulted_on_create == false);
  CHECK(notes->default_value.empty());
}

TEST_CASE("the plan carries an overlay's create-only field") {
  // Checked and built as tests/ui/overlays/ok_overlays.crmx: its `field Customer.CompanyName
  // createonly` makes the upsert's writer leave CompanyName out of updates.
  crmx::driver::Compilation comp;
  const std::string spec = CRMX_SOURCE_DIR "/tests/ui/overlays/ok_overlays.crmx";
  std::string io_error;
  REQUIRE(comp.CheckFile(spec, io_error));
  REQUIRE(comp.sink().error_count() == 0);
  crmx::driver::SpecPlan out;
  std::string error;
  bool usage = false;
  REQUIRE(crmx::driver::BuildSpecPlan(comp, spec, out, error, usage));
  const crmx::plan::Map* customer = nullptr;
  for (const crmx::plan::Map& m : out.plan.maps) {
    if (m.name == "account_to_customer") customer = &m;
  }
  REQUIRE(customer != nullptr);
  auto field = [&](const std::string& name) -> const crmx::plan::TargetField* {
    for (const crmx::plan::TargetField& t : customer->target_fields) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };
  REQUIRE(field("CompanyName") != nullptr);
  CHECK(field("CompanyName")->create_only);
  REQUIRE(field("Notes") != nullptr);
  CHECK_FALSE(field("Notes")->create_only);
  // The key is the overlay's new field.
  REQUIRE(field("Crmx_Id__c") != nullptr);
}
