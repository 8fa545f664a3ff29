// Defines the libFuzzer entry point for the API connectors' answer parsers: the input bytes
// are one HTTP answer body, given to api::ParseJson (and, when it parses, its records to
// AppendRow and NodeValue by a typed projection), to Salesforce's ParseCollectionAnswer (as a
// 200 and a 400 answer) and to NetSuite's ParseRecordAnswer (as a 400 answer, and as the
// Location header of a 204). The same function is called by fuzz_replay (CTest:
// fuzz_api_replay).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/netsuite/netsuite.h"
#include "runtime/connectors/salesforce/salesforce.h"

namespace {

using namespace crmx::connectors;
using T = crmx::plan::FieldType;

size_t Touch(const WriteResult& r) {
  return r.Describe().size() + r.id.size() + r.code.size() + r.message.size() + r.fields.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  size_t seen = 0;

  api::JsonNode root;
  std::string error;
  if (api::ParseJson(body, root, error)) {
    static const std::vector<std::string> fields = {"Id", "Name", "Amount", "Account.Name", "IsWon", "items", "id"};
    static const std::vector<T> types = {T::kString, T::kAny, T::kDecimal, T::kString, T::kBool, T::kAny, T::kInt};
    std::vector<crmx::value::Value> row;
    api::AppendRow(root, fields, types, row);
    for (const char* list : {"records", "items"}) {
      const api::JsonNode* records = root.Find(list);
      if (records == nullptr || records->type != api::JsonNode::Type::kArray) continue;
      for (const api::JsonNode& r : records->items) api::AppendRow(r, fields, types, row);
    }
    for (T t : {T::kAny, T::kString, T::kDecimal, T::kDateTime})
      seen += crmx::value::Display(api::NodeValue(root, t, "f")).size();
    seen += row.size();
  }

  for (long status : {200L, 400L}) {
    api::CallResult call;
    call.response.status = status;
    call.response.body = body;
    for (const WriteResult& r : salesforce::ParseCollectionAnswer(call, {1, 2, 3})) seen += Touch(r);
  }
  {
    api::CallResult call;
    call.response.status = 400;
    call.response.body = body;
    seen += Touch(netsuite::ParseRecordAnswer(call, 1));
    seen += netsuite::NotApplied(call.response);
  }
  {
    api::CallResult call;
    call.response.status = 204;
    call.response.headers.emplace_back("Location", body);
    seen += Touch(netsuite::ParseRecordAnswer(call, 1));
    seen += netsuite::IdFromLocation(body).size();
  }
  (void)seen;
  return 0;
}
