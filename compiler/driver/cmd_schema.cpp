// Defines `crmxc schema`: `schema import` turns vendor schema files into the crmx schema JSON
// form, `schema show` prints an object or one field of such a file, `schema export` writes a
// spec's system schema with its overlays applied.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/pipeline.h"
#include "compiler/schema/import.h"
#include "compiler/schema/print.h"
#include "compiler/schema/schema_json.h"

namespace crmx::driver {
namespace {

void PrintWarnings(const std::vector<schema::ImportWarning>& warnings) {
  for (const auto& w : warnings) {
    std::cerr << "warning: " << w.file << "#" << w.pointer << ": " << w.message << "\n";
  }
}

// Prints an import error; returns the exit status it maps to.
int ReportError(const schema::ImportError& e) {
  std::cerr << "error: " << e.file;
  if (!e.position.empty()) std::cerr << (e.position[0] == '/' ? "#" : ":") << e.position;
  std::cerr << ": " << e.message << "\n";
  return e.unreadable ? 2 : 1;
}

struct ImportArgs {
  std::string from;
  std::vector<std::string> files;
  std::string output;
  std::string system;
  bool quiet = false;
};

int RunImport(const ImportArgs& args) {
  schema::ImportOptions options;
  options.system = args.system;
  schema::ImportResult result;
  if (args.from.empty()) {
    result = schema::ImportAuto(args.files, options);
  } else {
    auto format = schema::ParseFormat(args.from);
    if (!format) {
      std::cerr << "error: unknown schema format `" << args.from
                << "`; expected salesforce, openapi, jsonschema, odata, netsuite or crmx\n";
      return 2;
    }
    result = schema::Import(*format, args.files, options);
  }
  if (!args.quiet) PrintWarnings(result.warnings);
  if (!result.ok()) return ReportError(*result.error);
  std::string error;
  if (!schema::WriteSchemaFile(result.schema, args.output, error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  size_t fields = 0;
  for (const auto& o : result.schema.objects) fields += o.fields.size();
  std::cerr << "imported " << result.schema.objects.size() << " objects, " << fields
            << " fields from " << args.files.size() << " file(s) into " << args.output;
  if (!result.warnings.empty()) std::cerr << " (" << result.warnings.size() << " warnings)";
  std::cerr << "\n";
  return 0;
}

// Prints `system.Object[.Field]` as the checker sees it through a spec's systems.
int RunShowInSpec(const std::string& spec, const std::string& what) {
  Compilation comp;
  std::string io_error;
  std::unique_ptr<check::Systems> systems = comp.LoadSystems(spec, io_error);
  if (systems == nullptr) {
    std::cerr << "error: " << io_error << "\n";
    return 2;
  }
  std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
  if (!diags.empty()) {
    diag::RenderOptions ro;
    ro.color = diag::ShouldUseColor(stderr);
    diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
  }
  auto dot = what.find('.');
  if (dot == std::string::npos) {
    std::cerr << "error: expected SYSTEM.OBJECT[.FIELD], such as `crm.Account` or `crm.Account.Name`\n";
    return 2;
  }
  std::string system = what.substr(0, dot);
  std::string rest = what.substr(dot + 1);
  const check::LoadedSystem* sys = systems->Find(system);
  if (sys == nullptr) {
    std::cerr << "error: `" << system << "` is not a system of " << spec << "\n";
    return 1;
  }
  std::string object_name = rest;
  std::string field_name;
  const schema::Object* object = sys->schema.FindObject(object_name);
  if (object == nullptr) {
    auto fdot = rest.rfind('.');
    if (fdot != std::string::npos) {
      object_name = rest.substr(0, fdot);
      field_name = rest.substr(fdot + 1);
      object = sys->schema.FindObject(object_name);
    }
  }
  if (object == nullptr) {
    std::cerr << "error: `" << object_name << "` is not an object of system `" << system << "`\n";
    return 1;
  }
  if (field_name.empty()) {
    schema::PrintObject(std::cout, *object);
    return 0;
  }
  const schema::Field* field = object->FindField(field_name);
  if (field == nullptr) {
    std::cerr << "error: `" << field_name << "` is not a field of `" << system << "." << object->name << "`\n";
    return 1;
  }
  schema::PrintField(std::cout, *field, object->name);
  return 0;
}

// Writes the schema of a spec's system as the checker sees it (its files imported, its `field`
// overlays applied) in the crmx schema form: what an emulator loads to enforce the same facts.
int RunExport(const std::string& spec, const std::string& system, const std::string& output) {
  Compilation comp;
  std::string io_error;
  std::unique_ptr<check::Systems> systems = comp.LoadSystems(spec, io_error);
  if (systems == nullptr) {
    std::cerr << "error: " << io_error << "\n";
    return 2;
  }
  std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
  if (!diags.empty()) {
    diag::RenderOptions ro;
    ro.color = diag::ShouldUseColor(stderr);
    diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
  }
  const check::LoadedSystem* sys = systems->Find(system);
  if (sys == nullptr) {
    std::cerr << "error: `" << system << "` is not a system of " << spec << "\n";
    return 1;
  }
  if (comp.sink().has_errors() || !sys->complete) {
    std::cerr << "error: the schemas of `" << spec << "` have errors: no export\n";
    return 1;
  }
  std::string error;
  if (!schema::WriteSchemaFile(sys->schema, output, error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  std::cerr << "exported " << sys->schema.objects.size() << " objects of system `" << system << "` ("
            << sys->overlays.size() << " overlaid fields) into " << output << "\n";
  return 0;
}

// The one integration spec in the current folder, for `crmxc schema show crm.Account`.
std::string FindSpecHere(std::string& error) {
  std::vector<std::string> specs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(".", ec)) {
    if (e.path().extension() != ".crmx") continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("integration ") != std::string::npos) specs.push_back(e.path().string());
  }
  if (specs.size() == 1) return specs.front();
  error = specs.empty() ? "no integration spec (.crmx) in the current folder: name it, as in "
                          "`crmxc schema show SPEC.crmx crm.Account`"
                        : "several .crmx files in the current folder: name the spec, as in "
                          "`crmxc schema show SPEC.crmx crm.Account`";
  return {};
}

int RunShow(const std::string& file, const std::string& what) {
  // Any supported format is accepted, not only crmx JSON, so a vendor file can be inspected
  // without importing it first.
  auto format = schema::DetectFormatOfFile(file);
  schema::ImportResult result = format ? schema::Import(*format, {file}, {})
                                       : schema::ReadSchemaFile(file);
  if (!result.ok()) return ReportError(*result.error);
  std::string object_name = what;
  std::string field_name;
  // Object names may contain dots (NetSuite sublist rows do not appear at top level), so try
  // the whole string first, then split at the last dot.
  const schema::Object* object = result.schema.FindObject(object_name);
  if (object == nullptr) {
    auto dot = what.rfind('.');
    if (dot != std::string::npos) {
      object_name = what.substr(0, dot);
      field_name = what.substr(dot + 1);
      object = result.schema.FindObject(object_name);
    }
  }
  if (object == nullptr) object = result.schema.FindObjectIgnoreCase(object_name);
  if (object == nullptr) {
    std::cerr << "error: `" << object_name << "` is not an object of " << file << "\n";
    return 1;
  }
  if (field_name.empty()) {
    schema::PrintObject(std::cout, *object);
    return 0;
  }
  const schema::Field* field = object->FindFieldIgnoreCase(field_name);
  if (field == nullptr) {
    std::cerr << "error: `" << field_name << "` is not a field of `" << object->name << "`\n";
    return 1;
  }
  schema::PrintField(std::cout, *field, object->name);
  return 0;
}

}  // namespace

void RegisterSchema(CLI::App& root, int& exit_code) {
  CLI::App* cmd = root.add_subcommand("schema", "Import and inspect system schemas");
  cmd->require_subcommand(1);

  auto args = std::make_shared<ImportArgs>();
  CLI::App* imp = cmd->add_subcommand(
      "import", "Convert Salesforce describes, OpenAPI, JSON Schema, OData EDMX or NetSuite "
                "records.json into a crmx schema file");
  imp->add_option("--from", args->from,
                  "Source format: salesforce, openapi, jsonschema, odata, netsuite (default: "
                  "detected from the first file)");
  imp->add_option("files", args->files, "Schema files")->required();
  imp->add_option("-o,--output", args->output, "Output crmx schema JSON file")->required();
  imp->add_option("--system", args->system, "System name stored in the schema");
  imp->add_flag("-q,--quiet", args->quiet, "Do not print warnings");
  imp->callback([args, &exit_code]() { exit_code = RunImport(*args); });

  auto export_args = std::make_shared<std::vector<std::string>>();
  auto export_output = std::make_shared<std::string>();
  CLI::App* exp = cmd->add_subcommand(
      "export", "Write a spec's system schema as the checker sees it (schema overlays applied) as a crmx "
                "schema file: `export SPEC.crmx SYSTEM -o FILE`");
  exp->add_option("args", *export_args, "SPEC.crmx SYSTEM")->required()->expected(2);
  exp->add_option("-o,--output", *export_output, "Output crmx schema JSON file")->required();
  exp->callback([export_args, export_output, &exit_code]() {
    exit_code = RunExport((*export_args)[0], (*export_args)[1], *export_output);
  });

  auto show_args = std::make_shared<std::vector<std::string>>();
  CLI::App* show = cmd->add_subcommand(
      "show",
      "Print an object (fields table) or one field: `show [SPEC.crmx] crm.Account[.Field]` as the "
      "checker sees it through a spec's systems, or `show SCHEMA_FILE Object[.Field]`");
  show->add_option("args", *show_args, "[SPEC.crmx | SCHEMA_FILE] SYSTEM.OBJECT[.FIELD] | OBJECT[.FIELD]")
      ->required()
      ->expected(1, 2);
  show->callback([show_args, &exit_code]() {
    const std::vector<std::string>& a = *show_args;
    if (a.size() == 1) {
      std::string error;
      std::string spec = FindSpecHere(error);
      if (spec.empty()) {
        std::cerr << "error: " << error << "\n";
        exit_code = 2;
        return;
      }
      exit_code = RunShowInSpec(spec, a[0]);
    } else if (std::filesystem::path(a[0]).extension() == ".crmx") {
      exit_code = RunShowInSpec(a[0], a[1]);
    } else {
      exit_code = RunShow(a[0], a[1]);
    }
  });
}

}  // namespace crmx::driver
