// Declares the connector implementations behind connectors::Open (connector.h).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/connectors/connector.h"

namespace crmx::connectors {

std::unique_ptr<Connector> OpenFiles(const std::string& dir, std::string& error);
std::unique_ptr<Connector> OpenSqlite(const std::string& path, std::string& error);

value::Value FromJson(const nlohmann::json& j);
nlohmann::json ToJson(const value::Value& v);

}  // namespace crmx::connectors
