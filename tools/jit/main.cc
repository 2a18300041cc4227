// jit: the command-line client of jit-access. This file is the thin command layer: CLI11
// parses the command line, the configuration is resolved (config.h), the typed clients are
// built, and one function of commands.h does the work. Errors go to stderr as one sentence
// ("jit: ..."); the exit code is 0 only on success (1 on a failed command, CLI11's own codes
// for a bad command line).
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/client/user_session.h"
#include "services/auth/client/user_auth_client.h"
#include "services/requests/client/user_requests_client.h"
#include "tools/jit/commands.h"
#include "tools/jit/completion.h"
#include "tools/jit/config.h"
#include "tools/jit/format.h"
#include "tools/jit/session_file.h"

namespace jit::cli {
namespace {

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Reads one line from the terminal without echo (prompt on stderr).
absl::StatusOr<std::string> PromptHidden(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot prompt for the ", prompt, " (stdin is not a terminal); use --password-stdin"));
  }
  std::cerr << prompt << ": " << std::flush;
  termios old_attr;
  tcgetattr(STDIN_FILENO, &old_attr);
  termios no_echo = old_attr;
  no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &no_echo);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_attr);
  std::cerr << "\n";
  return line;
}

struct Globals {
  std::string format = "text";
  std::string auth_addr, requests_addr, ca_file, timeout;
};

struct Clients {
  std::unique_ptr<client::UserSession> auth_session, requests_session;
  std::unique_ptr<auth::GrpcUserAuthClient> auth;
  std::unique_ptr<requests::GrpcUserRequestsClient> requests;
};

absl::StatusOr<CliConfig> LoadConfig(const Globals& g) {
  ConfigSources sources;
  std::optional<std::string> jit_home = GetEnv("JIT_HOME");
  std::optional<std::string> home = GetEnv("HOME");
  if (jit_home && !jit_home->empty()) {
    sources.jit_dir = *jit_home;
  } else if (home && !home->empty()) {
    sources.jit_dir = absl::StrCat(*home, "/.jit");
  } else {
    return absl::FailedPreconditionError("neither $JIT_HOME nor $HOME is set; set one of them");
  }
  std::ifstream file(sources.jit_dir + "/config");
  if (file) {
    std::stringstream text;
    text << file.rdbuf();
    sources.file_text = text.str();
  }
  sources.env = GetEnv;
  if (!g.auth_addr.empty()) sources.flags["auth_addr"] = g.auth_addr;
  if (!g.requests_addr.empty()) sources.flags["requests_addr"] = g.requests_addr;
  if (!g.ca_file.empty()) sources.flags["ca_file"] = g.ca_file;
  if (!g.timeout.empty()) sources.flags["timeout"] = g.timeout;
  return ResolveConfig(sources);
}

// Clients for `config`; `with_token` loads the stored session token (not logged in: error).
absl::StatusOr<Clients> Connect(const CliConfig& config, bool with_token) {
  std::ifstream ca(config.ca_file);
  if (!ca) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the CA bundle ", config.ca_file,
                     "; start the local services (deploy/local/up.sh) or set ca_file in ",
                     config.jit_dir, "/config, $JIT_CA_FILE or --ca-file"));
  }
  std::stringstream pem;
  pem << ca.rdbuf();
  if (pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CA bundle ", config.ca_file,
                     " has no certificate; point ca_file at the PEM file of the CA the services' "
                     "certificates chain to"));
  }
  std::string token;
  if (with_token) {
    absl::StatusOr<std::string> t = LoadSessionToken(config.jit_dir);
    if (!t.ok()) return t.status();
    token = *t;
  }
  Clients c;
  c.auth_session = std::make_unique<client::UserSession>("auth", config.auth_addr, pem.str(), token,
                                                         config.timeout);
  c.requests_session = std::make_unique<client::UserSession>("requests", config.requests_addr,
                                                             pem.str(), token, config.timeout);
  c.auth = std::make_unique<auth::GrpcUserAuthClient>(c.auth_session.get());
  c.requests = std::make_unique<requests::GrpcUserRequestsClient>(c.requests_session.get());
  return c;
}

int Fail(const absl::Status& status) {
  std::cerr << "jit: " << ErrorSentence(status) << "\n";
  return 1;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "jit: just-in-time access to servers and databases.\n"
      "Log in, request a role for a while, have it approved, then use it.\n"
      "Settings: ~/.jit/config (key = value: auth_addr, requests_addr, ca_file, timeout),\n"
      "$JIT_<KEY> and the flags below; defaults fit deploy/local/up.sh.",
      "jit"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--format", g.format, "Output: text (tables) or json (for scripts)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--auth-addr", g.auth_addr, "jit-auth host:port (default localhost:7101)");
  app.add_option("--requests-addr", g.requests_addr,
                 "jit-requests host:port (default localhost:7103)");
  app.add_option("--ca-file", g.ca_file,
                 "CA bundle (PEM) of the services' TLS certificates (default "
                 "$JIT_LOCAL_DIR/pki/internal-ca.pem)");
  app.add_option("--timeout", g.timeout, "Deadline of each call, e.g. 10s (default 10s)");

  // login / logout / status
  std::string user;
  bool password_stdin = false;
  CLI::App* login = app.add_subcommand("login", "Log in and store the session under ~/.jit/");
  login->add_option("--user,-u", user, "User name (default $JIT_USER, else $USER)");
  login->add_flag("--password-stdin", password_stdin,
                  "Read the password from the first line of stdin instead of prompting");
  CLI::App* logout = app.add_subcommand("logout", "End the session and remove the stored token");
  CLI::App* status = app.add_subcommand(
      "status", "Who you are, your roles and traits, session expiry, your requests and grants");

  // request ...
  CLI::App* request = app.add_subcommand("request", "Ask for, review and end access requests");
  request->require_subcommand(1);
  CreateInput create_in;
  CLI::App* create = request->add_subcommand("create", "Ask for roles for a while");
  create->add_option("--roles", create_in.roles, "Roles to request (comma separated)")
      ->required()
      ->delimiter(',');
  create->add_option("--reason", create_in.reason, "Why you need the access");
  create->add_option("--duration", create_in.duration, "How long, e.g. 30m or 2h");
  create->add_option("--start", create_in.start,
                     "When the access starts (RFC 3339; default: at approval)");
  create->add_flag("--dry-run", create_in.dry_run,
                   "Check with policy and show which automatic review rule would decide; "
                   "store nothing");
  bool wait = false;
  create->add_flag("--wait", wait,
                   "Wait for the decision with a live status line; exit 0 only if approved");
  create->add_option("--reviewers", create_in.reviewers, "Suggested reviewers (comma separated)")
      ->delimiter(',');
  CreateInput glass_in;
  glass_in.break_glass = true;
  CLI::App* glass = request->add_subcommand(
      "break-glass",
      "Emergency: take roles at once without approval (if a role allows it); reviewed after");
  glass->add_option("--roles", glass_in.roles, "Roles to take (comma separated)")
      ->required()
      ->delimiter(',');
  glass->add_option("--reason", glass_in.reason, "The emergency")->required();
  glass->add_option("--duration", glass_in.duration, "How long, e.g. 30m (capped by policy)");
  ListInput list_in;
  CLI::App* ls = request->add_subcommand("ls", "List the requests you may see");
  ls->add_option("--state", list_in.states,
                 "Only these states: pending, approved, denied, cancelled, expired, revoked")
      ->delimiter(',');
  ls->add_flag("--reviewable", list_in.reviewable, "Only requests you may review");
  ls->add_flag("--mine", list_in.mine, "Only your own requests");
  std::string id, reason;
  std::vector<std::string> approve_roles;
  CLI::App* show = request->add_subcommand("show", "One request, its reviews and history");
  show->add_option("id", id, "Request id or a unique prefix of it")->required();
  CLI::App* approve = request->add_subcommand("approve", "Approve a request you may review");
  approve->add_option("id", id, "Request id or a unique prefix of it")->required();
  approve->add_option("--roles", approve_roles, "Approve only these requested roles")
      ->delimiter(',');
  approve->add_option("--reason", reason, "Why you approve");
  CLI::App* deny = request->add_subcommand("deny", "Deny a request you may review");
  deny->add_option("id", id, "Request id or a unique prefix of it")->required();
  deny->add_option("--reason", reason, "Why you deny")->required();
  CLI::App* cancel = request->add_subcommand("cancel", "Withdraw your pending request");
  cancel->add_option("id", id, "Request id or a unique prefix of it")->required();
  cancel->add_option("--reason", reason, "Why (optional)");
  CLI::App* revoke =
      request->add_subcommand("revoke", "End the access an approved request granted");
  revoke->add_option("id", id, "Request id or a unique prefix of it")->required();
  revoke->add_option("--reason", reason, "Why you revoke")->required();

  std::string shell;
  CLI::App* completion = app.add_subcommand(
      "completion", "Print a shell completion script: eval \"$(jit completion bash)\"");
  completion->add_option("shell", shell, "Shell (bash)")
      ->required()
      ->check(CLI::IsMember({"bash"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (completion->parsed()) {
    std::cout << BashCompletion(app);
    return 0;
  }
  absl::StatusOr<CliConfig> config = LoadConfig(g);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<Format> format = ParseFormat(g.format);
  if (!format.ok()) return Fail(format.status());
  Output o{&std::cout, *format, absl::Now()};

  if (login->parsed()) {
    if (user.empty()) user = GetEnv("JIT_USER").value_or(GetEnv("USER").value_or(""));
    LoginInput in;
    in.user = user;
    if (password_stdin) {
      std::getline(std::cin, in.password);
    } else {
      absl::StatusOr<std::string> pw = PromptHidden(absl::StrCat("password for ", user));
      if (!pw.ok()) return Fail(pw.status());
      in.password = *pw;
    }
    in.prompt_totp = [] { return PromptHidden("TOTP code"); };
    absl::StatusOr<Clients> c = Connect(*config, /*with_token=*/false);
    if (!c.ok()) return Fail(c.status());
    absl::Status s = Login(*c->auth, config->jit_dir, in, o);
    return s.ok() ? 0 : Fail(s);
  }
  if (logout->parsed()) {
    absl::StatusOr<Clients> c = Connect(*config, /*with_token=*/true);
    if (!c.ok() && !absl::IsNotFound(c.status())) return Fail(c.status());
    absl::Status s = Logout(c.ok() ? c->auth.get() : nullptr, config->jit_dir, o);
    return s.ok() ? 0 : Fail(s);
  }
  absl::StatusOr<Clients> c = Connect(*config, /*with_token=*/true);
  if (!c.ok()) return Fail(c.status());
  absl::Status s;
  if (status->parsed()) {
    s = ShowStatus(*c->auth, *c->requests, o);
  } else if (create->parsed()) {
    WaitHooks hooks{.sleep = [](absl::Duration d) { absl::SleepFor(d); },
                    .now = [] { return absl::Now(); },
                    .status = &std::cerr};
    s = RequestCreate(*c->requests, create_in, o, wait ? &hooks : nullptr);
  } else if (glass->parsed()) {
    s = RequestCreate(*c->requests, glass_in, o);
  } else if (ls->parsed()) {
    s = RequestList(*c->auth, *c->requests, list_in, o);
  } else if (show->parsed()) {
    s = RequestShow(*c->requests, id, o);
  } else if (approve->parsed()) {
    s = RequestReview(*c->requests, id, /*approve=*/true, approve_roles, reason, o);
  } else if (deny->parsed()) {
    s = RequestReview(*c->requests, id, /*approve=*/false, {}, reason, o);
  } else if (cancel->parsed()) {
    s = RequestCancel(*c->requests, id, reason, o);
  } else if (revoke->parsed()) {
    s = RequestRevoke(*c->requests, id, reason, o);
  }
  return s.ok() ? 0 : Fail(s);
}

}  // namespace
}  // namespace jit::cli

int main(int argc, char** argv) { return jit::cli::Main(argc, argv); }
