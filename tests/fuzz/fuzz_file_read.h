// Defines what the file-reader fuzz targets share: the input bytes written as one file of a
// directory connector (`Object.jsonl`, `Object.csv`) and read through connectors::Open with
// a few projections (typed, all strings, dotted, small batches), every record and bad line
// touched. Any crash, sanitizer report, leak or hang is a bug.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"

namespace crmx::fuzz {

// One projection: field names and their types.
struct Projection {
  std::vector<std::string> fields;
  std::vector<plan::FieldType> types;
  size_t batch = 3;
};

// Writes `data` to `<tmp>/crmx_fuzz_<pid>/Account.<ext>` (one directory a process, reused)
// and reads it with each projection.
inline void ReadAsFile(const uint8_t* data, size_t size, const std::string& ext, const std::vector<Projection>& reads) {
  namespace fs = std::filesystem;
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("crmx_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  {
    std::ofstream out(dir / ("Account." + ext), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::string error;
  auto c = connectors::Open(dir.string(), error);
  if (!c) return;
  for (const Projection& p : reads) {
    auto r = c->OpenReader(connectors::ReadRequest{"Account", p.fields, p.types, p.batch, {}, {}, {}, {}}, error);
    if (!r) continue;
    connectors::RecordBatch b;
    size_t seen = 0;
    while (r->Next(b)) {
      for (size_t i = 0; i < b.size(); ++i)
        for (size_t f = 0; f < b.width; ++f) seen += value::Display(b.Row(i)[f]).size();
      for (const connectors::BadLine& x : b.bad) seen += x.reason.size() + x.detail.size();
    }
    (void)seen;
  }
}

}  // namespace crmx::fuzz
