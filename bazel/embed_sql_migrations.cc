// Build tool for jit_sql_migrations (//bazel:sql_migrations.bzl): embeds SQL migration files
// into a C++ source file and a header declaring
//
//   std::vector<jit::db::Migration> <namespace>::<function>();
//
// usage: embed_sql_migrations --header=OUT.h --source=OUT.cc --include=PATH/OUT.h
//            --namespace=jit::auth --function=Migrations FILE.sql...
//
// Each FILE is named NNNN_name.sql (at least four digits; name of [a-z0-9_]); the version is
// NNNN. Versions must be unique; the list is emitted in version order. Any problem is printed
// as one line naming the file and exits 1, which fails the build. Only the C++ standard
// library is used, so the build needs neither python nor xxd.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Input {
  int version;
  std::string name;
  std::string path;
  std::string sql;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "embed_sql_migrations: " << message << "\n";
  std::exit(1);
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool IsNamespace(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t end = s.find("::", start);
    if (!IsIdentifier(s.substr(start, end == std::string_view::npos ? end : end - start))) {
      return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 2;
  }
}

// "services/auth/migrations/0001_init.sql" -> version 1, name "init".
Input ParseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string_view kSuffix = ".sql";
  if (base.size() <= kSuffix.size() || base.substr(base.size() - kSuffix.size()) != kSuffix) {
    Fail(path + ": migration files must be named NNNN_name.sql");
  }
  const std::string stem = base.substr(0, base.size() - kSuffix.size());
  size_t digits = 0;
  while (digits < stem.size() && std::isdigit(static_cast<unsigned char>(stem[digits]))) {
    ++digits;
  }
  if (digits < 4 || digits > 9 || digits + 1 >= stem.size() || stem[digits] != '_') {
    Fail(path + ": migration files must be named NNNN_name.sql (at least 4 digits)");
  }
  const std::string name = stem.substr(digits + 1);
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      Fail(path + ": the name part may hold only a-z, 0-9 and _");
    }
  }
  const int version = std::stoi(stem.substr(0, digits));
  if (version < 1) Fail(path + ": version must be at least 1");
  return Input{version, name, path, ""};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path + ": cannot read");
  std::ostringstream out;
  out << in.rdbuf();
  std::string data = out.str();
  if (data.find('\0') != std::string::npos) Fail(path + ": contains a NUL byte");
  return data;
}

// A C++ string literal (split at newlines), safe for any bytes but NUL.
std::string Literal(std::string_view data) {
  std::string out = "\"";
  for (unsigned char c : data) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '?':
        out += "\\?";  // never part of a trigraph
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n\"\n    \"";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\%03o", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) Fail(path + ": cannot write");
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      const size_t eq = arg.find('=');
      if (eq == std::string::npos) Fail("flag without value: " + arg);
      flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    } else {
      files.push_back(arg);
    }
  }
  for (const char* required : {"header", "source", "include", "namespace", "function"}) {
    if (flags[required].empty()) Fail(std::string("missing --") + required);
  }
  if (!IsNamespace(flags["namespace"])) Fail("bad namespace: " + flags["namespace"]);
  if (!IsIdentifier(flags["function"])) Fail("bad function name: " + flags["function"]);

  std::map<int, Input> by_version;
  for (const std::string& path : files) {
    Input input = ParseName(path);
    auto [it, inserted] = by_version.emplace(input.version, input);
    if (!inserted) {
      Fail(path + ": version " + std::to_string(input.version) + " is also used by " +
           it->second.path);
    }
    it->second.sql = ReadFile(path);
  }

  const std::string& ns = flags["namespace"];
  const std::string& fn = flags["function"];
  std::string guard = "JIT_GENERATED_" + flags["include"];
  for (char& c : guard) c = std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  guard += "_";

  std::string sources;
  for (const auto& [version, input] : by_version) sources += "//   " + input.path + "\n";

  std::ostringstream h;
  h << "// Generated by //bazel:sql_migrations.bzl from:\n"
    << sources << "// Do not edit.\n"
    << "#ifndef " << guard << "\n#define " << guard << "\n\n"
    << "#include <vector>\n\n#include \"common/db/migrations.h\"\n\n"
    << "namespace " << ns << " {\n\n"
    << "// The embedded SQL migrations, in version order.\n"
    << "std::vector<::jit::db::Migration> " << fn << "();\n\n"
    << "}  // namespace " << ns << "\n\n#endif  // " << guard << "\n";
  Write(flags["header"], h.str());

  std::ostringstream cc;
  cc << "// Generated by //bazel:sql_migrations.bzl. Do not edit.\n"
     << "#include \"" << flags["include"] << "\"\n\n#include <string>\n\n"
     << "namespace " << ns << " {\nnamespace {\n\n";
  for (const auto& [version, input] : by_version) {
    cc << "// " << input.path << "\nconstexpr char kSql" << version << "[] =\n    "
       << Literal(input.sql) << ";\n\n";
  }
  cc << "}  // namespace\n\n"
     << "std::vector<::jit::db::Migration> " << fn << "() {\n"
     << "  std::vector<::jit::db::Migration> migrations;\n";
  for (const auto& [version, input] : by_version) {
    cc << "  migrations.push_back({" << version << ", " << Literal(input.name)
       << ", std::string(kSql" << version << ", sizeof(kSql" << version << ") - 1), "
       << Literal(input.path) << "});\n";
  }
  cc << "  return migrations;\n}\n\n}  // namespace " << ns << "\n";
  Write(flags["source"], cc.str());
  return 0;
}
