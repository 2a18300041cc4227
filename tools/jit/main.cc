// jit: the command-line client of jit-access. This file is the thin command layer: CLI11
// parses the command line, the configuration is resolved (config.h), the typed clients are
// built, and one function of commands.h does the work. Errors go to stderr as one sentence
// ("jit: ..."); the exit code is 0 only on success (1 on a failed command, CLI11's own codes
// for a bad command line).
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
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
#include "services/audit/client/user_audit_client.h"
#include "services/auth/client/user_auth_client.h"
#include "services/ca/client/user_ca_client.h"
#include "services/policy/client/user_policy_client.h"
#include "services/requests/client/user_requests_client.h"
#include "tools/jit/access.h"
#include "tools/jit/admin.h"
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

// The terminal's settings while echo is off, restored by the signal handler below.
termios saved_attr;
volatile sig_atomic_t echo_off = 0;

void RestoreEchoAndDie(int sig) {
  if (echo_off) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_attr);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Reads one line from the terminal without echo (prompt on stderr). Ctrl-C, SIGTERM or
// SIGHUP while it waits restore echo before jit ends.
absl::StatusOr<std::string> PromptHidden(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot prompt for the ", prompt, " (stdin is not a terminal); use --password-stdin"));
  }
  std::cerr << prompt << ": " << std::flush;
  tcgetattr(STDIN_FILENO, &saved_attr);
  termios no_echo = saved_attr;
  no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  struct sigaction sa = {};
  sa.sa_handler = RestoreEchoAndDie;
  struct sigaction old_int, old_term, old_hup;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  echo_off = 1;
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &no_echo);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_attr);
  echo_off = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  std::cerr << "\n";
  return line;
}

// Replaces jit with `argv` (ssh, psql): their exit code is jit's.
int Exec(const std::vector<std::string>& argv) {
  std::cout << std::flush;
  std::cerr << std::flush;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::cerr << "jit: cannot run " << argv[0] << ": " << std::strerror(errno)
            << "; install it or put it on $PATH\n";
  return 127;
}

struct Globals {
  std::string format = "text";
  std::string auth_addr, requests_addr, ca_addr, policy_addr, audit_addr, ca_file, timeout;
};

struct Clients {
  std::unique_ptr<client::UserSession> auth_session, requests_session, ca_session, policy_session,
      audit_session;
  std::unique_ptr<auth::GrpcUserAuthClient> auth;
  std::unique_ptr<requests::GrpcUserRequestsClient> requests;
  std::unique_ptr<ca::GrpcUserCaClient> ca;
  std::unique_ptr<policy::GrpcUserPolicyClient> policy;
  std::unique_ptr<audit::GrpcUserAuditClient> audit;
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
  if (!g.ca_addr.empty()) sources.flags["ca_addr"] = g.ca_addr;
  if (!g.policy_addr.empty()) sources.flags["policy_addr"] = g.policy_addr;
  if (!g.audit_addr.empty()) sources.flags["audit_addr"] = g.audit_addr;
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
  c.ca_session =
      std::make_unique<client::UserSession>("ca", config.ca_addr, pem.str(), token, config.timeout);
  c.policy_session = std::make_unique<client::UserSession>("policy", config.policy_addr, pem.str(),
                                                           token, config.timeout);
  c.audit_session = std::make_unique<client::UserSession>("audit", config.audit_addr, pem.str(),
                                                          token, config.timeout);
  c.policy = std::make_unique<policy::GrpcUserPolicyClient>(c.policy_session.get());
  c.audit = std::make_unique<audit::GrpcUserAuditClient>(c.audit_session.get());
  c.auth = std::make_unique<auth::GrpcUserAuthClient>(c.auth_session.get());
  c.ca = std::make_unique<ca::GrpcUserCaClient>(c.ca_session.get());
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
      "Settings: ~/.jit/config (key = value: auth_addr, requests_addr, ca_addr, policy_addr,\n"
      "audit_addr, ca_file, "
      "timeout, db.NAME.addr, db.NAME.server_ca_file, kube.NAME.server, kube.NAME.ca_file),\n"
      "$JIT_<KEY> and the flags below; defaults fit deploy/local/up.sh.",
      "jit"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--format", g.format, "Output: text (tables) or json (for scripts)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--auth-addr", g.auth_addr, "jit-auth host:port (default localhost:7101)");
  app.add_option("--requests-addr", g.requests_addr,
                 "jit-requests host:port (default localhost:7103)");
  app.add_option("--ca-addr", g.ca_addr, "jit-ca host:port (default localhost:7102)");
  app.add_option("--policy-addr", g.policy_addr, "jit-policy host:port (default localhost:7104)");
  app.add_option("--audit-addr", g.audit_addr, "jit-audit host:port (default localhost:7105)");
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
                   "Wait for the decision with a live status line, then get certificates; exit "
                   "0 only if approved");
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

  // certs / ssh / db connect / kube login
  std::vector<std::string> cert_request_ids;
  CLI::App* certs = app.add_subcommand(
      "certs",
      "Make fresh keys here and get SSH and X.509 certificates for your session and grants");
  certs->add_option("--request-id", cert_request_ids,
                    "Use only these active grants (request ids or prefixes; default: all)");
  SshInput ssh_in;
  CLI::App* ssh = app.add_subcommand(
      "ssh", "Run ssh with your certificate; host keys are checked against the host CA");
  ssh->add_option("destination", ssh_in.destination, "[login@]host")->required();
  ssh->add_option("-p,--port", ssh_in.port, "Port (default 22)");
  ssh->add_option("command", ssh_in.command, "Command to run (after -- if it has options)");
  CLI::App* db = app.add_subcommand("db", "Databases");
  db->require_subcommand(1);
  DbInput db_in;
  CLI::App* db_connect = db->add_subcommand(
      "connect", "Run psql with a client certificate for a db user (sslmode=verify-full)");
  db_connect->add_option("name", db_in.name, "Database (db.NAME.* in ~/.jit/config)")->required();
  db_connect->add_option("--db-user", db_in.db_user, "Database user to connect as")->required();
  db_connect->add_option("--db-name", db_in.db_name, "Database name (default: NAME)");
  db_connect->add_option("--addr", db_in.addr, "HOST:PORT (default: db.NAME.addr)");
  db_connect->add_option("--server-ca-file", db_in.server_ca_file,
                         "CA of the server's certificate (default: db.NAME.server_ca_file)");
  db_connect->add_option("psql_args", db_in.psql_args, "Arguments for psql, after --");
  CLI::App* kube = app.add_subcommand("kube", "Kubernetes");
  kube->require_subcommand(1);
  KubeInput kube_in;
  CLI::App* kube_login = kube->add_subcommand(
      "login", "Write a kubeconfig for a cluster with your client certificate");
  kube_login->add_option("cluster", kube_in.cluster, "Cluster (kube.NAME.* in ~/.jit/config)")
      ->required();
  kube_login->add_option("--server", kube_in.server, "API server URL (default: kube.NAME.server)");
  kube_login->add_option("--cluster-ca-file", kube_in.ca_file,
                         "API server's CA (default: kube.NAME.ca_file)");

  // Administration: role / user / ca / audit
  CLI::App* role = app.add_subcommand("role", "Administer roles (jit-policy)");
  role->require_subcommand(1);
  std::string role_file, role_name;
  CLI::App* role_apply = role->add_subcommand("apply", "Create or update a role from a file");
  role_apply->add_option("-f,--file", role_file, "Role document, YAML or JSON ('-' = stdin)")
      ->required();
  CLI::App* role_ls = role->add_subcommand("ls", "List roles");
  CLI::App* role_get = role->add_subcommand("get", "Print one role (JSON)");
  role_get->add_option("name", role_name, "Role name")->required();
  CLI::App* role_rm = role->add_subcommand("rm", "Remove a role");
  role_rm->add_option("name", role_name, "Role name")->required();

  CLI::App* user_cmd = app.add_subcommand("user", "Administer local users (jit-auth)");
  user_cmd->require_subcommand(1);
  UserAddInput user_in;
  bool user_password_stdin = false;
  std::string totp_code;
  CLI::App* user_add = user_cmd->add_subcommand("add", "Create a local user");
  user_add->add_option("name", user_in.name, "User name")->required();
  user_add->add_option("--roles", user_in.roles, "Base roles (comma separated)")->delimiter(',');
  user_add->add_option("--logins", user_in.logins, "Trait logins (comma separated)")
      ->delimiter(',');
  user_add->add_option("--db-users", user_in.db_users, "Trait db_users (comma separated)")
      ->delimiter(',');
  user_add->add_flag("--password-stdin", user_password_stdin,
                     "Read the initial password from stdin");
  CLI::App* user_ls = user_cmd->add_subcommand("ls", "List users");
  std::string user_name;
  CLI::App* user_rm = user_cmd->add_subcommand("rm", "Remove a user");
  user_rm->add_option("name", user_name, "User name")->required();
  CLI::App* user_passwd = user_cmd->add_subcommand(
      "passwd", "Set a password (read from stdin: new password, then yours if it is your own)");
  user_passwd->add_option("name", user_name, "User name")->required();
  CLI::App* user_totp = user_cmd->add_subcommand(
      "totp", "Enrol TOTP (prints the secret), then confirm it with --code");
  user_totp->add_option("name", user_name, "User name (default: you)");
  user_totp->add_option("--code", totp_code, "A code from the authenticator, to confirm");

  CLI::App* ca_cmd = app.add_subcommand("ca", "Certificate authorities (jit-ca)");
  ca_cmd->require_subcommand(1);
  std::string ca_kind, ca_pattern = "*";
  CLI::App* ca_export =
      ca_cmd->add_subcommand("export", "Print the CA keys to trust, as the file to install");
  ca_export->add_option("--kind", ca_kind, "ssh-user, ssh-host or x509-user")
      ->required()
      ->check(CLI::IsMember({"ssh-user", "ssh-host", "x509-user"}));
  ca_export->add_option("--known-hosts-pattern", ca_pattern,
                        "Hosts of the @cert-authority lines (ssh-host; default *)");

  CLI::App* audit_cmd = app.add_subcommand("audit", "The audit log (jit-audit)");
  audit_cmd->require_subcommand(1);
  AuditSearchInput audit_in;
  CLI::App* audit_search = audit_cmd->add_subcommand("search", "Events, oldest first");
  audit_search->add_option("--type", audit_in.types, "Event types, or prefixes like request.*")
      ->delimiter(',');
  audit_search->add_option("--since", audit_in.since, "How long ago (2h) or an RFC 3339 time");
  audit_search->add_option("--user", audit_in.user, "Actor (a user name)");
  audit_search->add_option("--request", audit_in.request_id, "Request id");
  audit_search->add_option("--limit", audit_in.limit, "At most this many events (default 1000)");
  CLI::App* audit_verify =
      audit_cmd->add_subcommand("verify", "Recompute the hash chain and report any break");

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
  if (absl::Status s = EnsurePrivateDir(config->jit_dir); !s.ok()) return Fail(s);

  // `jit ssh` makes no call: the cached certificate is enough.
  if (ssh->parsed()) {
    absl::StatusOr<std::vector<std::string>> argv = SshCommand(config->jit_dir, ssh_in, o.now);
    if (!argv.ok()) return Fail(argv.status());
    return Exec(*argv);
  }

  if (login->parsed()) {
    if (user.empty()) user = GetEnv("JIT_USER").value_or(GetEnv("USER").value_or(""));
    LoginInput in;
    in.user = user;
    if (password_stdin) {
      std::getline(std::cin, in.password);
      // A TOTP code, when asked for, is the next line.
      in.prompt_totp = []() -> absl::StatusOr<std::string> {
        std::string code;
        if (!std::getline(std::cin, code) || code.empty()) {
          return absl::InvalidArgumentError(
              "a TOTP code is required; give it on the line after the password");
        }
        return code;
      };
    } else {
      absl::StatusOr<std::string> pw = PromptHidden(absl::StrCat("password for ", user));
      if (!pw.ok()) return Fail(pw.status());
      in.password = *pw;
    }
    if (!in.prompt_totp) in.prompt_totp = [] { return PromptHidden("TOTP code"); };
    absl::StatusOr<Clients> c = Connect(*config, /*with_token=*/false);
    if (!c.ok()) return Fail(c.status());
    absl::Status s = Login(*c->auth, config->jit_dir, in, o);
    return s.ok() ? 0 : Fail(s);
  }
  if (logout->parsed()) {
    absl::StatusOr<Clients> c = Connect(*config, /*with_token=*/true);
    absl::Status s = Logout(c.ok() ? c->auth.get() : nullptr, config->jit_dir, o);
    if (s.ok() && !c.ok() && !absl::IsNotFound(c.status())) {
      return Fail(absl::Status(c.status().code(),
                               absl::StrCat("removed the stored token, but did not end the "
                                            "session at jit-auth: ",
                                            c.status().message())));
    }
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
    // --wait ends approved: the certificates come at once (a failure here leaves the
    // approval standing; it says to run `jit certs`).
    if (s.ok() && wait) {
      if (absl::Status certs_status = Certs(*c->auth, *c->requests, *c->ca, config->jit_dir, {}, o);
          !certs_status.ok()) {
        std::cerr << "jit: the request is approved, but getting certificates failed: "
                  << ErrorSentence(certs_status) << "; run `jit certs` to try again\n";
      }
    }
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
  } else if (role_apply->parsed()) {
    std::stringstream text;
    if (role_file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream file(role_file);
      if (!file) return Fail(absl::NotFoundError("cannot read " + role_file));
      text << file.rdbuf();
    }
    s = RoleApply(*c->policy, text.str(), o);
  } else if (role_ls->parsed()) {
    s = RoleList(*c->policy, o);
  } else if (role_get->parsed()) {
    s = RoleGet(*c->policy, role_name, o);
  } else if (role_rm->parsed()) {
    s = RoleRemove(*c->policy, role_name, o);
  } else if (user_add->parsed()) {
    if (user_password_stdin) std::getline(std::cin, user_in.password);
    s = UserAdd(*c->auth, user_in, o);
  } else if (user_ls->parsed()) {
    s = UserList(*c->auth, o);
  } else if (user_rm->parsed()) {
    s = UserRemove(*c->auth, user_name, o);
  } else if (user_passwd->parsed()) {
    std::string password, current;
    std::getline(std::cin, password);
    std::getline(std::cin, current);
    s = UserPassword(*c->auth, user_name, password, current, o);
  } else if (user_totp->parsed()) {
    s = UserTotp(*c->auth, user_name, totp_code, o);
  } else if (ca_export->parsed()) {
    s = CaExport(*c->ca, ca_kind, ca_pattern, o);
  } else if (audit_search->parsed()) {
    s = AuditSearch(*c->audit, audit_in, o);
  } else if (audit_verify->parsed()) {
    s = AuditVerify(*c->audit, o);
  } else if (certs->parsed()) {
    s = Certs(*c->auth, *c->requests, *c->ca, config->jit_dir, cert_request_ids, o);
  } else if (db_connect->parsed()) {
    auto from_config = [&](const std::string& key, std::string* value) {
      auto it = config->targets.find(absl::StrCat("db.", db_in.name, ".", key));
      if (value->empty() && it != config->targets.end()) *value = it->second;
    };
    from_config("addr", &db_in.addr);
    from_config("server_ca_file", &db_in.server_ca_file);
    absl::StatusOr<std::vector<std::string>> argv =
        DbCommand(*c->ca, config->jit_dir, db_in, o.now, &std::cerr);
    if (!argv.ok()) return Fail(argv.status());
    return Exec(*argv);
  } else if (kube_login->parsed()) {
    auto from_config = [&](const std::string& key, std::string* value) {
      auto it = config->targets.find(absl::StrCat("kube.", kube_in.cluster, ".", key));
      if (value->empty() && it != config->targets.end()) *value = it->second;
    };
    from_config("server", &kube_in.server);
    from_config("ca_file", &kube_in.ca_file);
    s = KubeLogin(*c->ca, config->jit_dir, kube_in, o);
  }
  return s.ok() ? 0 : Fail(s);
}

}  // namespace
}  // namespace jit::cli

int main(int argc, char** argv) { return jit::cli::Main(argc, argv); }
