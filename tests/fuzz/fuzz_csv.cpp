// Defines the libFuzzer entry point for the CSV reader (runtime/connectors/csv_reader.cpp):
// the input bytes are one `Account.csv` (header line, then records; BOM, quoted cells,
// quoted newlines, CRLF), read with a typed projection and with every field a string.
// The same function is called by fuzz_replay (CTest: fuzz_csv_replay).
#include "tests/fuzz/fuzz_file_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using T = crmx::plan::FieldType;
  static const std::vector<crmx::fuzz::Projection> reads = {
      {{"Id", "Name", "Amount", "IsWon", "N", "Rate", "CloseDate", "When", "Any"},
       {T::kString, T::kString, T::kDecimal, T::kBool, T::kInt, T::kDouble, T::kDate, T::kDateTime, T::kAny},
       3},
      {{"Id", "Name", "missing"}, {T::kString, T::kString, T::kString}, 1024},
  };
  crmx::fuzz::ReadAsFile(data, size, "csv", reads);
  return 0;
}
