#include "services/policy/role_directory.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/policy/role_parser.h"

namespace jit::policy {

absl::StatusOr<std::vector<jit::common::v1::Role>> LoadRoleDirectory(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      files.push_back(entry.path());
    }
  }
  if (ec)
    return absl::NotFoundError(
        absl::StrCat("cannot read roles directory ", dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<jit::common::v1::Role> roles;
  absl::flat_hash_map<std::string, std::string> defined_in;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", file.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    absl::StatusOr<std::vector<jit::common::v1::Role>> parsed = ParseRoleDocuments(buffer.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.filename().string(), ": ", parsed.status().message()));
    }
    for (auto& role : *parsed) {
      auto [it, inserted] = defined_in.emplace(role.metadata().name(), file.filename().string());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat("role \"", role.metadata().name(),
                                                       "\" is defined in both ", it->second,
                                                       " and ", file.filename().string()));
      }
      roles.push_back(std::move(role));
    }
  }
  return roles;
}

}  // namespace jit::policy
