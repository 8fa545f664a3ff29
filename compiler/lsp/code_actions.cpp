// Defines CodeActions (document_features.h): textDocument/codeAction answered with the quick
// fixes diagnostics carry (`did you mean `Name`?` -> replace `Nmae` by `Name`). The fix is in
// the diagnostic's `data`, put there by CheckDocument and sent back by the client, so the
// server keeps no diagnostics between requests.
#include <string>
#include <utility>

#include "compiler/lsp/document_features.h"

namespace crmx::lsp {

nlohmann::json CodeActions(const Document& doc, const nlohmann::json& params) {
  nlohmann::json actions = nlohmann::json::array();
  const nlohmann::json* context = params.contains("context") ? &params["context"] : nullptr;
  if (context == nullptr || !context->is_object() || !context->contains("diagnostics")) return actions;
  const nlohmann::json& diagnostics = (*context)["diagnostics"];
  if (!diagnostics.is_array()) return actions;
  // Only quick fixes are offered: a client asking for other kinds gets none.
  if (context->contains("only") && (*context)["only"].is_array()) {
    bool quickfix = false;
    for (const nlohmann::json& kind : (*context)["only"])
      quickfix = quickfix || (kind.is_string() && (kind == "quickfix" || kind == ""));
    if (!quickfix) return actions;
  }
  for (const nlohmann::json& d : diagnostics) {
    if (!d.is_object() || d.value("source", "") != "crmxc" || !d.contains("data")) continue;
    const nlohmann::json& data = d["data"];
    if (!data.is_object() || !data.contains("fix") || !data["fix"].is_object()) continue;
    const nlohmann::json& fix = data["fix"];
    if (!fix.contains("range") || !fix.contains("newText") || !fix["newText"].is_string()) continue;
    std::string text = fix["newText"].get<std::string>();
    Position start = PositionFromJson(fix["range"].value("start", nlohmann::json::object()));
    Position end = PositionFromJson(fix["range"].value("end", nlohmann::json::object()));
    size_t begin_offset = doc.Offset(start), end_offset = doc.Offset(end);
    if (end_offset < begin_offset) std::swap(begin_offset, end_offset);
    std::string title;
    if (text.empty()) title = "Remove `" + doc.text().substr(begin_offset, end_offset - begin_offset) + "`";
    else if (begin_offset == end_offset) title = "Insert `" + text + "`";
    else title = "Replace `" + doc.text().substr(begin_offset, end_offset - begin_offset) + "` with `" + text + "`";
    nlohmann::json edit = {{"range", fix["range"]}, {"newText", text}};
    actions.push_back({{"title", title},
                       {"kind", "quickfix"},
                       {"diagnostics", nlohmann::json::array({d})},
                       {"isPreferred", fix.value("applicable", false)},
                       {"edit", {{"changes", {{doc.uri(), nlohmann::json::array({edit})}}}}}});
  }
  return actions;
}

}  // namespace crmx::lsp
