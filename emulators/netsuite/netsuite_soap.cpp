// Defines the NetSuite emulator's SOAP reading and writing (netsuite_soap.h), with pugixml.
#include "emulators/netsuite/netsuite_soap.h"

#include <cstdlib>

#include <pugixml.hpp>

#include "emulators/query.h"

namespace crmx::emulate {
namespace {

std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node c : parent.children())
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  return {};
}

std::string Text(const pugi::xml_node& n) {
  std::string t = n.child_value();
  size_t a = t.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  return t.substr(a, t.find_last_not_of(" \t\r\n") - a + 1);
}

std::vector<std::string> SearchValues(const pugi::xml_node& field) {
  std::vector<std::string> out;
  for (pugi::xml_node c : field.children())
    if (c.type() == pugi::node_element && (LocalName(c) == "searchValue" || LocalName(c) == "searchValue2"))
      out.push_back(Text(c));
  return out;
}

std::string Xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Envelope(std::string_view body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
         " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
         "<soapenv:Body>" +
         std::string(body) + "</soapenv:Body></soapenv:Envelope>";
}

std::string Response(std::string_view version, std::string_view result) {
  std::string v = Xml(version);
  return Envelope("<getDeletedResponse xmlns=\"urn:messages_" + v +
                  ".platform.webservices.netsuite.com\"><platformCore:getDeletedResult xmlns:platformCore=\"urn:core_" +
                  v + ".platform.webservices.netsuite.com\">" + std::string(result) +
                  "</platformCore:getDeletedResult></getDeletedResponse>");
}

std::string Element(const char* name, std::string_view text) {
  return "<platformCore:" + std::string(name) + ">" + Xml(text) + "</platformCore:" + name + ">";
}

// An instant as NetSuite writes a dateTime: in the account's zone (here US Pacific daylight
// time, -07:00), with milliseconds.
std::string DateTime(int64_t ms) {
  return FormatInstant(ms - 7 * 3600 * 1000, "YYYY-MM-DD\"T\"HH24:MI:SS") + ".000-07:00";
}

}  // namespace

bool ParseSoapRequest(std::string_view body, SoapRequest& out, std::string& error) {
  out = SoapRequest{};
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    error = std::string("the request is not XML: ") + parsed.description();
    return false;
  }
  pugi::xml_node envelope = doc.document_element();
  if (LocalName(envelope) != "Envelope" || !Child(envelope, "Body")) {
    error = "the request is not a SOAP envelope with a body";
    return false;
  }
  if (pugi::xml_node p = Child(Child(envelope, "Header"), "tokenPassport")) {
    TokenPassport t;
    t.account = Text(Child(p, "account"));
    t.consumer_key = Text(Child(p, "consumerKey"));
    t.token = Text(Child(p, "token"));
    t.nonce = Text(Child(p, "nonce"));
    t.timestamp = Text(Child(p, "timestamp"));
    pugi::xml_node signature = Child(p, "signature");
    t.signature = Text(signature);
    t.algorithm = signature.attribute("algorithm").value();
    out.passport = t;
  }
  pugi::xml_node op;
  for (pugi::xml_node c : Child(envelope, "Body").children())
    if (c.type() == pugi::node_element && !op) op = c;
  out.operation = op ? std::string(LocalName(op)) : "";
  pugi::xml_node filter = Child(op, "getDeletedFilter");
  if (pugi::xml_node d = Child(filter, "deletedDate")) {
    out.date_operator = d.attribute("operator").value();
    out.date_values = SearchValues(d);
  }
  if (pugi::xml_node t = Child(filter, "type")) {
    out.type_operator = t.attribute("operator").value();
    out.types = SearchValues(t);
  }
  if (pugi::xml_node s = Child(filter, "scriptId")) {
    std::vector<std::string> v = SearchValues(s);
    if (!v.empty()) out.script_id = v[0];
  }
  if (pugi::xml_node p = Child(op, "pageIndex")) out.page = std::atoll(Text(p).c_str());
  return true;
}

std::string GetDeletedAnswer(std::string_view version, int64_t total_records, int64_t page_size, int64_t total_pages,
                             int64_t page_index, const std::vector<const DeletedEntry*>& records) {
  std::string r = "<platformCore:status isSuccess=\"true\"/>" + Element("totalRecords", std::to_string(total_records)) +
                  Element("pageSize", std::to_string(page_size)) + Element("totalPages", std::to_string(total_pages)) +
                  Element("pageIndex", std::to_string(page_index)) + "<platformCore:deletedRecordList>";
  for (const DeletedEntry* d : records) {
    r += "<platformCore:deletedRecord>" + Element("deletedDate", DateTime(d->at_ms)) +
         "<platformCore:record internalId=\"" + Xml(d->internal_id) + "\"";
    if (!d->external_id.empty()) r += " externalId=\"" + Xml(d->external_id) + "\"";
    r += " type=\"" + Xml(d->type) + "\" xsi:type=\"platformCore:RecordRef\">" + Element("name", d->name) +
         "</platformCore:record></platformCore:deletedRecord>";
  }
  return Response(version, r + "</platformCore:deletedRecordList>");
}

std::string GetDeletedRefusal(std::string_view version, std::string_view code, std::string_view message) {
  return Response(version, "<platformCore:status isSuccess=\"false\"><platformCore:statusDetail type=\"ERROR\">" +
                               Element("code", code) + Element("message", message) +
                               "</platformCore:statusDetail></platformCore:status>");
}

std::string SoapFault(std::string_view version, std::string_view fault, std::string_view code, std::string_view message) {
  std::string f = Xml(fault);
  return Envelope("<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>" + Xml(message) +
                  "</faultstring><detail><platformFaults:" + f + " xmlns:platformFaults=\"urn:faults_" + Xml(version) +
                  ".platform.webservices.netsuite.com\"><platformFaults:code>" + Xml(code) +
                  "</platformFaults:code><platformFaults:message>" + Xml(message) + "</platformFaults:message></platformFaults:" +
                  f + "><ns1:hostname xmlns:ns1=\"http://xml.apache.org/axis/\">crmx-emulate</ns1:hostname></detail>"
                  "</soapenv:Fault>");
}

}  // namespace crmx::emulate
