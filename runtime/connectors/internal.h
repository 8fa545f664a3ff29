// Declares the connector implementations behind connectors::Open (connector.h) and the
// readers and writers of the directory connector, one file format each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/connectors/connector.h"

namespace crmx::connectors {

std::unique_ptr<Connector> OpenFiles(const std::string& dir, std::string& error);
std::unique_ptr<Connector> OpenSqlite(const std::string& path, std::string& error);

// `path` read as JSON Lines (jsonl_reader.cpp) or CSV (csv_reader.cpp); `name` is the file
// name the records and bad lines carry.
std::unique_ptr<RecordReader> OpenJsonlReader(const std::string& path, const std::string& name,
                                              const ReadRequest& req, std::string& error);
std::unique_ptr<RecordReader> OpenCsvReader(const std::string& path, const std::string& name,
                                            const ReadRequest& req, std::string& error);
// Whether the JSONL readers opened from now on may take their fast path (jsonl_reader.cpp; on
// unless turned off). Off, every line goes through simdjson On Demand: the reference the tests
// compare the fast path with.
void SetJsonlFastPath(bool on);
bool JsonlFastPath();
// Lines the fast path has read, in all the JSONL readers destroyed so far (for the tests).
uint64_t JsonlFastPathLines();
// Upserts into the JSON Lines file `path` (jsonl_writer.cpp).
std::unique_ptr<RecordWriter> OpenJsonlWriter(const std::string& path, const WriteRequest& req, std::string& error);

}  // namespace crmx::connectors
