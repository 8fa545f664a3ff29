// Defines ReadSourceRecord (source_record.h).
#include "runtime/queue/source_record.h"

#include <memory>

#include "runtime/connectors/connector.h"
#include "runtime/value/value.h"

namespace crmx::queue {

namespace {

// A value for people: text as it is, null as "null", others as the VM displays them.
std::string Shown(const value::Value& v) {
  if (v.IsNull()) return "null";
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  return value::Display(v, false);
}

}  // namespace

bool ReadSourceRecord(const plan::Map& map, const engine::Systems& systems, const state::Item& item, SourceRecord& out,
                      std::string& error) {
  out = SourceRecord{};
  out.object = map.source.system + "." + map.source.object;
  out.id = item.source_id.empty() ? item.record_id : item.source_id;
  if (map.source_id.empty()) {
    error = out.object + " has no id field in its schema: its records cannot be read one by one";
    return false;
  }
  if (out.id.empty() ||
      (item.source_id.empty() && !item.file.empty() && item.record_id == item.file + ":" + std::to_string(item.line))) {
    error = "the record has no id (a line that could not be read)";
    return false;
  }
  auto c = systems.by_name.find(map.source.system);
  if (c == systems.by_name.end() || c->second == nullptr) {
    error = "system " + map.source.system + " has no connector";
    return false;
  }
  connectors::ReadRequest req;
  req.object = map.source.object;
  req.fields = map.projection.fields;
  req.types = map.projection.types;
  req.batch = 200;
  req.id_field = map.source_id;
  req.pushdown.push_back(plan::SourceCondition{map.source_id, plan::FilterOp::kEq, value::Value::String(out.id), 0});
  size_t id_at = req.fields.size();
  for (size_t i = 0; i < req.fields.size(); ++i)
    if (req.fields[i] == map.source_id) id_at = i;
  if (id_at == req.fields.size()) {
    error = map.name + " does not read " + out.object + "." + map.source_id;
    return false;
  }
  std::unique_ptr<connectors::RecordReader> reader = c->second->OpenReader(req, error);
  if (!reader) return false;
  connectors::RecordBatch batch;
  // A file source reads every record (pushdown is a hint): the one with the id is kept.
  while (reader->Next(batch)) {
    for (size_t r = 0; r < batch.size() && !out.found; ++r) {
      const value::Value* row = batch.Row(r);
      if (row[id_at].IsNull() || Shown(row[id_at]) != out.id) continue;
      out.found = true;
      for (size_t i = 0; i < req.fields.size(); ++i) out.values.emplace_back(req.fields[i], Shown(row[i]));
    }
  }
  if (!reader->error().empty()) {
    error = reader->error();
    return false;
  }
  return true;
}

}  // namespace crmx::queue
