// Defines the libFuzzer entry point for the JSON Lines reader (runtime/connectors/
// jsonl_reader.cpp): the input bytes are one `Account.jsonl`, read with a typed projection
// (plain, dotted and `any` fields: numbers, bools, nested maps and lists, the depth limit),
// with every field a string, and with a projection that reads an object and a key under it.
// The same function is called by fuzz_replay (CTest: fuzz_jsonl_replay).
#include "tests/fuzz/fuzz_file_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using T = crmx::plan::FieldType;
  static const std::vector<crmx::fuzz::Projection> reads = {
      {{"Id", "Name", "Amount", "IsWon", "N", "Rate", "CloseDate", "LastModifiedDate", "Lines"},
       {T::kString, T::kAny, T::kDecimal, T::kBool, T::kInt, T::kDouble, T::kDate, T::kDateTime, T::kAny},
       3},
      {{"Id", "Name", "Amount", "Lines"}, {T::kString, T::kString, T::kString, T::kString}, 1024},
      {{"Id", "MetaData", "MetaData.LastUpdatedTime", "CustomerRef.value", "a.b.c"},
       {T::kString, T::kAny, T::kDateTime, T::kString, T::kAny},
       2},
  };
  crmx::fuzz::ReadAsFile(data, size, "jsonl", reads);
  return 0;
}
