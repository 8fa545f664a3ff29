// Defines CheckDocument (document_features.h): runs the checker of `crmxc check` on an open
// document and turns its diagnostics into LSP Diagnostics.
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/driver/pipeline.h"
#include "compiler/lsp/document_features.h"

namespace crmx::lsp {

namespace fs = std::filesystem;

namespace {

std::string Canonical(const std::string& path) {
  std::error_code ec;
  std::string key = fs::weakly_canonical(fs::path(path), ec).string();
  return ec ? path : key;
}

// Positions in the files of one check: the open document, and the modules it imports.
class Files {
 public:
  Files(const Document& doc, const SourceManager& sources, FileId doc_file)
      : doc_(doc), sources_(sources), doc_file_(doc_file) {}

  // The document whose positions belong to `file` (null when the file is unknown).
  const Document* For(FileId file) {
    if (file == doc_file_) return &doc_;
    if (file == kNoFile || file >= sources_.size()) return nullptr;
    auto it = others_.find(file);
    if (it == others_.end()) {
      const SourceFile& f = sources_.Get(file);
      it = others_.emplace(file, std::make_unique<Document>(UriFromPath(f.path()), f.path(), f.text(), 0)).first;
    }
    return it->second.get();
  }
  nlohmann::json Location(const Span& span) {
    const Document* d = For(span.file);
    if (d == nullptr) return nullptr;
    return {{"uri", d->uri()}, {"range", d->Range(span)}};
  }

 private:
  const Document& doc_;
  const SourceManager& sources_;
  FileId doc_file_;
  std::map<FileId, std::unique_ptr<Document>> others_;
};

// The canonical paths of the modules `module` imports, directly or not.
void Reachable(driver::Compilation& c, const ast::Module& module, const std::string& dir, std::set<std::string>& out) {
  for (const ast::ImportDecl* imp : module.All<ast::ImportDecl>()) {
    fs::path target = fs::path(dir) / imp->path;
    std::string key = Canonical(target.string());
    if (!out.insert(key).second) continue;
    std::string io_error;
    // Already parsed by the check: ParseOnly returns the module from the compilation's cache.
    const ast::Module* m = c.ParseOnly(target.string(), io_error);
    if (m != nullptr) Reachable(c, *m, target.parent_path().string(), out);
  }
}

int Severity(diag::Severity s) {
  switch (s) {
    case diag::Severity::Error:
      return 1;
    case diag::Severity::Warning:
      return 2;
    case diag::Severity::Note:
      return 3;
  }
  return 1;
}

}  // namespace

nlohmann::json CheckDocument(const Document& doc, const std::string& error_docs_dir) {
  // A document that is not a file (an unsaved buffer) is checked as if it lay in the current
  // directory: its imports and schemas are looked for there.
  std::string path = doc.path().empty() ? (fs::current_path() / "untitled.crmx").string() : doc.path();
  driver::Compilation c;
  c.CheckText(path, doc.text());
  const SourceManager& sources = c.sources();
  // CheckText adds the document's text first.
  FileId doc_file = kNoFile;
  for (FileId id = 0; id < sources.size() && doc_file == kNoFile; ++id) {
    if (sources.Get(id).path() == path && sources.Get(id).text() == doc.text()) doc_file = id;
  }
  Files files(doc, sources, doc_file);

  // Where a problem in an imported module is shown: the import that brings the module in.
  std::vector<std::pair<const ast::ImportDecl*, std::set<std::string>>> imports;
  std::string io_error;
  const ast::Module* root = c.ParseOnly(path, io_error);
  if (root != nullptr) {
    std::string dir = fs::path(path).parent_path().string();
    for (const ast::ImportDecl* imp : root->All<ast::ImportDecl>()) {
      std::set<std::string> reach;
      fs::path target = fs::path(dir) / imp->path;
      reach.insert(Canonical(target.string()));
      std::string unused;
      if (const ast::Module* m = c.ParseOnly(target.string(), unused))
        Reachable(c, *m, target.parent_path().string(), reach);
      imports.emplace_back(imp, std::move(reach));
    }
  }

  nlohmann::json out = nlohmann::json::array();
  for (const diag::Diagnostic& d : c.SortedDiagnostics()) {
    nlohmann::json j;
    std::string message = d.message;
    nlohmann::json related = nlohmann::json::array();
    const Span& at = d.primary.span;
    if (at.file == doc_file) {
      j["range"] = doc.Range(at);
    } else if (at.file == kNoFile || at.file >= sources.size()) {
      j["range"] = doc.Range(0, 0);
    } else {
      // In another file: at the import that reaches it, or at the file's start when none does.
      const std::string& other = sources.Get(at.file).path();
      std::string key = Canonical(other);
      const ast::ImportDecl* via = nullptr;
      for (const auto& [imp, reach] : imports) {
        if (reach.count(key) != 0) {
          via = imp;
          break;
        }
      }
      j["range"] = via != nullptr ? doc.Range(via->path_span) : doc.Range(0, 0);
      std::string shown = other;
      std::error_code ec;
      fs::path rel = fs::path(other).lexically_normal().lexically_relative(fs::path(path).parent_path());
      if (!rel.empty() && !ec) shown = rel.generic_string();
      message = "in `" + shown + "`: " + message;
      nlohmann::json where = files.Location(at);
      if (!where.is_null())
        related.push_back({{"location", where}, {"message", d.primary.message.empty() ? d.message : d.primary.message}});
    }
    j["severity"] = Severity(d.severity);
    std::string code(d.code());
    j["code"] = code;
    if (!error_docs_dir.empty()) {
      fs::path page = fs::path(error_docs_dir) / (code + ".md");
      std::error_code ec;
      if (fs::is_regular_file(page, ec)) j["codeDescription"] = {{"href", UriFromPath(page.string())}};
    }
    j["source"] = "crmxc";
    if (d.help) message += "\nhelp: " + *d.help;
    for (const std::string& note : d.notes) message += "\nnote: " + note;
    j["message"] = message;
    for (const diag::Label& label : d.secondary) {
      nlohmann::json where = files.Location(label.span);
      if (where.is_null()) continue;
      related.push_back({{"location", where}, {"message", label.message.empty() ? std::string("related") : label.message}});
    }
    if (!related.empty()) j["relatedInformation"] = std::move(related);
    // A table never used: editors fade it out.
    if (d.kind == diag::Kind::UnusedTable) j["tags"] = {1};
    // The fix travels with the diagnostic: the client sends it back in a codeAction request,
    // so the server answers without keeping diagnostics (CodeActions).
    if (d.fix && d.fix->span.file == doc_file && at.file == doc_file) {
      j["data"] = {{"fix",
                    {{"range", doc.Range(d.fix->span)}, {"newText", d.fix->replacement}, {"applicable", d.fix->applicable}}}};
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace crmx::lsp
