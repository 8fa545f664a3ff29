// Defines the SOAP side of the NetSuite emulator (netsuite.cpp keeps the state): reading a
// SOAP web services request (its token passport, and getDeleted's filter and page index) and
// writing the answers as the SuiteTalk SOAP Web Services guide shows them (getDeletedResponse,
// its status, the faults). Only getDeleted is emulated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulators/auth.h"

namespace crmx::emulate {

struct SoapRequest {
  std::string operation;                 // the body's first element: "getDeleted"
  std::optional<TokenPassport> passport;  // the header's tokenPassport, when there is one
  // getDeleted's filter: deletedDate (SearchDateField) and type (SearchEnumMultiSelectField).
  std::string date_operator;              // "" when the filter has no deletedDate
  std::vector<std::string> date_values;   // searchValue, then searchValue2
  std::string type_operator;
  std::vector<std::string> types;
  std::string script_id;                  // scriptId's searchValue, for custom records
  int64_t page = 1;                       // pageIndex
};

// Reads a SOAP envelope. False with `error` when `body` is not XML or not an envelope with a
// body element.
bool ParseSoapRequest(std::string_view body, SoapRequest& out, std::string& error);

// One record deleted in the emulator, as getDeleted lists it.
struct DeletedEntry {
  std::string type;         // REST record type: "salesOrder"
  std::string internal_id;
  std::string external_id;  // "" when it had none
  std::string name;
  int64_t at_ms = 0;        // when, milliseconds since the epoch
};

// getDeletedResponse with status isSuccess="true", the counts and `records` (one page).
std::string GetDeletedAnswer(std::string_view version, int64_t total_records, int64_t page_size, int64_t total_pages,
                             int64_t page_index, const std::vector<const DeletedEntry*>& records);
// getDeletedResponse with status isSuccess="false" and one statusDetail.
std::string GetDeletedRefusal(std::string_view version, std::string_view code, std::string_view message);
// A soapenv:Fault whose detail is `fault` ("insufficientPermissionFault") with code and message.
std::string SoapFault(std::string_view version, std::string_view fault, std::string_view code, std::string_view message);

}  // namespace crmx::emulate
