// Defines the libFuzzer entry point for the crmx front end: the input bytes are one .crmx
// file, which is parsed (syntax::Parse), its diagnostics rendered in the human and JSON forms
// and its AST dumped, all into a null stream. Any crash, sanitizer report, leak or hang is a
// bug. The same function is called by fuzz_replay.cpp (the corpus replay run by CTest).
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>

#include "compiler/ast/dump.h"
#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/diagnostics/render.h"
#include "compiler/syntax/parser.h"

namespace {

// A streambuf that discards everything but still makes the renderers format every byte.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crmx::SourceManager sources;
  crmx::FileId id = sources.Add("fuzz.crmx", std::string(reinterpret_cast<const char*>(data), size));
  const crmx::SourceFile& file = sources.Get(id);

  crmx::diag::DiagnosticSink sink;
  std::unique_ptr<crmx::ast::Module> module = crmx::syntax::Parse(file, sink);

  NullBuffer buffer;
  std::ostream null_out(&buffer);
  if (module) crmx::ast::Dump(null_out, *module);

  sink.SortByPosition();
  crmx::diag::RenderOptions options;
  options.subject = "fuzz.crmx";
  crmx::diag::RenderHuman(null_out, sources, sink.diagnostics(), options);
  crmx::diag::RenderSummary(null_out, sink.error_count(), sink.warning_count(), options);
  crmx::diag::RenderJson(null_out, sources, sink.diagnostics(), options);
  return 0;
}
