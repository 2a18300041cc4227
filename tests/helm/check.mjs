// Checks of the Helm chart helm/jit-access with the real helm binary, offline Kubernetes API
// schemas and the services' own --help. Called by tests/helm/check.sh, which installs the
// tools; prints one line per check, "PASS <name>" or "FAIL <name>: <why>", and exits 1 if
// any failed.
//
//   node check.mjs --helm <helm> --modules <dir with node_modules> --chart <chart dir>
//                  --bin-dir <dir with jit-auth, jit-ca, ...> --exemptions <file>
//                  [--promtool <promtool>] [--bootstrap <jit-bootstrap>]
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
for (const required of ["helm", "modules", "chart", "bin-dir", "exemptions"]) {
  if (!args[required]) {
    console.error(`check.mjs: --${required} is required`);
    process.exit(2);
  }
}
const mod = (p) => import(pathToFileURL(join(args.modules, "node_modules", p)).href);
const YAML = await mod("yaml/dist/index.js");
const k8s = await mod("kubernetes-models/index.js");
const promOperator = await mod("@kubernetes-models/prometheus-operator/index.js");
const certManager = await mod("@kubernetes-models/cert-manager/index.js");

const SERVICES = ["auth", "ca", "requests", "policy", "audit"];
const GRPC_PORT = { auth: 7101, ca: 7102, requests: 7103, policy: 7104, audit: 7105 };
const chart = args.chart;
const work = mkdtempSync(join(tmpdir(), "jit-helm-check-"));
let failures = 0;

function pass(name) {
  console.log(`PASS ${name}`);
}
function fail(name, why) {
  failures++;
  console.log(`FAIL ${name}: ${why}`);
}
// Runs fn, which returns a list of problems; one result line for the check.
function check(name, fn) {
  let problems;
  try {
    problems = fn();
  } catch (e) {
    problems = [e instanceof Error ? e.message : `${e}`];
  }
  if (problems.length === 0) pass(name);
  else fail(name, problems.slice(0, 20).join("; ") + (problems.length > 20 ? ` (+${problems.length - 20} more)` : ""));
}

function helm(...helmArgs) {
  const r = spawnSync(args.helm, helmArgs, { encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout || "", err: r.stderr || "" };
}
function render(...extra) {
  const r = helm("template", "jit", chart, "--namespace", "jit", ...extra);
  if (r.code !== 0) throw new Error(`helm template ${extra.join(" ")} failed: ${r.err.trim()}`);
  return YAML.parseAllDocuments(r.out)
    .map((d) => d.toJS())
    .filter((o) => o != null);
}
function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}
const nameOf = (svc) => `jit-jit-access-${svc}`;

// --- 1. lint and render ------------------------------------------------------------------
const minimalValues = join(chart, "ci", "minimal-values.yaml");
const haValues = join(chart, "ci", "ha-values.yaml");
check("helm lint --strict (minimal and HA values)", () => {
  const problems = [];
  for (const values of [minimalValues, haValues]) {
    const r = helm("lint", "--strict", chart, "-f", values);
    if (r.code !== 0) problems.push(`${values}: ${(r.out + r.err).trim().split("\n").slice(-5).join(" | ")}`);
  }
  return problems;
});

let minimal = [];
let ha = [];
check("helm template with the default values (plus the required references)", () => {
  minimal = render("-f", minimalValues);
  return minimal.length > 0 ? [] : ["nothing rendered"];
});
check("helm template with the HA values (3 replicas, HPA, PDB, NetworkPolicy, ServiceMonitor)", () => {
  ha = render("-f", haValues);
  return ha.length > 0 ? [] : ["nothing rendered"];
});

// --- 2. bad values fail with a clear message ---------------------------------------------
const badValues = [
  [[], "postgresql.host is required"],
  [["-f", minimalValues, "--set", "auth.replicas=three"], "auth.replicas: Invalid type. Expected: integer"],
  [["-f", minimalValues, "--set", "policy.replica=2"], "Additional property replica is not allowed"],
  [["-f", minimalValues, "--set", "auth.config.session_tll=8h"], "Additional property session_tll is not allowed"],
  [["-f", minimalValues, "--set", "auth.config.session_ttl=8 hours"], "auth.config.session_ttl: Does not match pattern"],
  [["-f", minimalValues, "--set", "config.log_level=loud"], "config.log_level: config.log_level must be one of"],
  [["-f", minimalValues, "--set", "postgresql.serverCaSecret="], "postgresql.serverCaSecret is required with postgresql.sslmode=verify-full"],
  [["-f", minimalValues, "--set", "ca.keyEncryptionKey.existingSecret="], "ca.keyEncryptionKey.existingSecret is required"],
  [["-f", minimalValues, "--set", "certManager.enabled=true"], "certManager.issuerRef.name is required"],
  [["-f", minimalValues, "--set", "audit.checkpointKey.existingSecret="], "audit.checkpointKey.existingSecret is required"],
  [["-f", minimalValues, "--set", "audit.migrate.user=jit_audit"], "audit.migrate.user (jit_audit) must differ from postgresql.users.audit"],
  [["-f", minimalValues, "--set", "audit.config.checkpoint_trusted_public_keys[0]=not-a-key"], "audit.config.checkpoint_trusted_public_keys.0: Does not match pattern"],
  [["-f", minimalValues, "--set", "audit.hpa.enabled=true,audit.hpa.minReplicas=5,audit.hpa.maxReplicas=2"], "audit.hpa.minReplicas (5) is above maxReplicas (2)"],
  [["-f", minimalValues, "--set", "policy.config.decision_hook_url=http://opa:8181/v1/data/jit"], "policy.config.decision_hook_url: Does not match pattern"],
  [["-f", minimalValues, "--set", "networkPolicy.enabled=yes"], "networkPolicy.enabled: Invalid type. Expected: boolean"],
];
check("bad values are refused with a message naming the value", () => {
  const problems = [];
  for (const [extra, expected] of badValues) {
    const r = helm("template", "jit", chart, ...extra);
    if (r.code === 0) problems.push(`accepted: ${extra.join(" ")}`);
    else if (!r.err.includes(expected)) {
      problems.push(`${extra.join(" ") || "(no values)"}: expected "${expected}", got: ${r.err.trim().split("\n").slice(0, 3).join(" | ")}`);
    }
  }
  return problems;
});

// --- 3. every object against the Kubernetes API schemas ----------------------------------
const models = new Map();
function collectModels(ns, depth = 0) {
  for (const v of Object.values(ns)) {
    if (typeof v === "function" && v.apiVersion && v.kind) models.set(`${v.apiVersion}/${v.kind}`, v);
    else if (v && typeof v === "object" && depth < 4) collectModels(v, depth + 1);
  }
}
collectModels(k8s);
collectModels(promOperator);
collectModels(certManager);
for (const [label, objects] of [["default", () => minimal], ["HA", () => ha]]) {
  check(`every object of the ${label} render validates against its API schema`, () => {
    const problems = objects().length === 0 ? ["nothing rendered"] : [];
    for (const o of objects()) {
      const model = models.get(`${o.apiVersion}/${o.kind}`);
      if (!model) {
        problems.push(`no schema for ${o.apiVersion} ${o.kind}`);
        continue;
      }
      try {
        new model(o).validate();
      } catch (e) {
        problems.push(`${o.kind}/${o.metadata?.name}: ${e.message}`);
      }
    }
    return problems;
  });
}

// --- 4. what each service gets -----------------------------------------------------------
function serviceProblems(objects, svc, { expectHpa, expectNetworkPolicy, expectServiceMonitor, expectCertificate }) {
  const p = [];
  const name = nameOf(svc);
  const dep = find(objects, "Deployment", name);
  if (!dep) return [`${svc}: no Deployment ${name}`];
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  const health = GRPC_PORT[svc] + 100;
  const svcObj = find(objects, "Service", name);
  if (!svcObj) p.push(`${svc}: no Service`);
  else {
    const ports = Object.fromEntries(svcObj.spec.ports.map((x) => [x.name, x.port]));
    if (ports.grpc !== GRPC_PORT[svc]) p.push(`${svc}: Service grpc port ${ports.grpc}`);
    if (!ports.metrics) p.push(`${svc}: Service has no metrics port`);
  }
  if (!find(objects, "ServiceAccount", name)) p.push(`${svc}: no ServiceAccount`);
  const cm = find(objects, "ConfigMap", name);
  if (!cm) p.push(`${svc}: no ConfigMap`);
  if (!c.envFrom?.some((e) => e.configMapRef?.name === name)) p.push(`${svc}: container does not read its ConfigMap`);
  if (!find(objects, "PodDisruptionBudget", name)) p.push(`${svc}: no PodDisruptionBudget`);
  const hpa = find(objects, "HorizontalPodAutoscaler", name);
  if (expectHpa) {
    if (!hpa) p.push(`${svc}: no HorizontalPodAutoscaler`);
    else {
      if (hpa.spec.scaleTargetRef.name !== name) p.push(`${svc}: HPA targets ${hpa.spec.scaleTargetRef.name}`);
      if (!hpa.spec.metrics.some((m) => m.resource?.name === "cpu")) p.push(`${svc}: HPA without CPU`);
      if (dep.spec.replicas !== undefined) p.push(`${svc}: Deployment sets replicas although the HPA owns them`);
    }
  } else if (dep.spec.replicas === undefined) p.push(`${svc}: no replicas`);
  for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    if (c[probe]?.grpc?.port !== health) p.push(`${svc}: ${probe} is not a gRPC probe on the health port ${health}`);
  }
  const env = cm?.data ?? {};
  if (env.JIT_HEALTH_ADDR !== `0.0.0.0:${health}`) p.push(`${svc}: JIT_HEALTH_ADDR is ${env.JIT_HEALTH_ADDR}`);
  if (!c.ports.some((x) => x.containerPort === health)) p.push(`${svc}: health port not declared`);
  // Security context.
  const psc = pod.securityContext ?? {};
  const sc = c.securityContext ?? {};
  if (psc.runAsNonRoot !== true || !(psc.runAsUser > 0)) p.push(`${svc}: pod may run as root`);
  if (psc.seccompProfile?.type !== "RuntimeDefault") p.push(`${svc}: pod seccomp is not RuntimeDefault`);
  if (sc.readOnlyRootFilesystem !== true) p.push(`${svc}: root filesystem is writable`);
  if (sc.allowPrivilegeEscalation !== false) p.push(`${svc}: privilege escalation allowed`);
  if (JSON.stringify(sc.capabilities?.drop) !== JSON.stringify(["ALL"])) p.push(`${svc}: capabilities not all dropped`);
  if (sc.runAsNonRoot !== true) p.push(`${svc}: container runAsNonRoot unset`);
  if (pod.automountServiceAccountToken !== false) p.push(`${svc}: service-account token mounted`);
  // Secrets by reference, mounted as files the service accepts (root:fsGroup 0440).
  for (const v of pod.volumes ?? []) {
    if (v.secret && v.secret.defaultMode !== undefined && (v.secret.defaultMode & 0o037) !== 0) {
      p.push(`${svc}: volume ${v.name} mode ${v.secret.defaultMode.toString(8)} is readable by others`);
    }
  }
  const vol = (n) => pod.volumes?.find((v) => v.name === n);
  if (!vol("tls")?.secret?.secretName) p.push(`${svc}: no TLS Secret`);
  if (!vol("db-password")?.secret?.items?.some((i) => i.key === svc)) p.push(`${svc}: no database password from the Secret`);
  if ((svc === "auth" || svc === "ca") && !vol("kek")?.secret?.secretName) p.push(`${svc}: no key-encryption key Secret`);
  if (!/^postgresql:\/\/[^:@]+@[^/]+\/[^?]+\?sslmode=/.test(env.JIT_DB_URL ?? "")) p.push(`${svc}: JIT_DB_URL ${env.JIT_DB_URL}`);
  // Pod annotations for Prometheus.
  const ann = dep.spec.template.metadata.annotations ?? {};
  if (ann["prometheus.io/scrape"] !== "true" || !ann["prometheus.io/port"]) p.push(`${svc}: no prometheus.io annotations`);
  const np = find(objects, "NetworkPolicy", name);
  if (expectNetworkPolicy && !np) p.push(`${svc}: no NetworkPolicy`);
  if (!expectNetworkPolicy && np) p.push(`${svc}: NetworkPolicy although disabled`);
  const sm = find(objects, "ServiceMonitor", name);
  if (expectServiceMonitor && !sm) p.push(`${svc}: no ServiceMonitor`);
  const cert = find(objects, "Certificate", name);
  if (expectCertificate) {
    if (!cert) p.push(`${svc}: no Certificate`);
    else {
      if (!cert.spec.uris?.includes(`spiffe://jit-access/service/${svc}`)) p.push(`${svc}: Certificate without its SPIFFE id`);
      if (cert.spec.secretName !== vol("tls")?.secret?.secretName) p.push(`${svc}: Certificate writes another Secret than the pod mounts`);
      if (!cert.spec.dnsNames?.includes(name)) p.push(`${svc}: Certificate without the DNS name peers dial`);
    }
  }
  return p;
}
check("each service has Deployment, Service, ServiceAccount, ConfigMap, PDB, probes and security context (defaults)", () =>
  SERVICES.flatMap((s) => serviceProblems(minimal, s, { expectHpa: false, expectNetworkPolicy: false })));
check("each service also has HPA, NetworkPolicy, ServiceMonitor and Certificate (HA)", () =>
  SERVICES.flatMap((s) =>
    serviceProblems(ha, s, { expectHpa: true, expectNetworkPolicy: true, expectServiceMonitor: true, expectCertificate: true }).concat(
      find(ha, "Deployment", nameOf(s))?.spec.template.spec.topologySpreadConstraints ? [] : [`${s}: no topologySpreadConstraints`])));

// Audit's tables belong to another role than the sink's: an init container migrates as the
// owner (its password mounted there only), the sink serves as postgresql.users.audit.
check("audit migrates as the schema's owner in an init container; the sink serves as its own role", () => {
  const p = [];
  for (const [label, objects] of [["defaults", minimal], ["ha", ha]]) {
    const pod = find(objects, "Deployment", nameOf("audit"))?.spec.template.spec;
    const init = pod?.initContainers?.find((c) => c.name === "migrate");
    if (!init) {
      p.push(`${label}: no migrate init container`);
      continue;
    }
    if (JSON.stringify(init.args) !== JSON.stringify(["--migrate_only"])) p.push(`${label}: migrate args ${init.args}`);
    const env = Object.fromEntries((init.env ?? []).map((e) => [e.name, e.value]));
    if (!/^postgresql:\/\/jit_audit_owner@/.test(env.JIT_DB_URL ?? "")) p.push(`${label}: migrate connects as ${env.JIT_DB_URL}`);
    const ownerVolume = pod.volumes.find((v) => v.name === "db-owner-password");
    if (!ownerVolume?.secret?.items?.some((i) => i.key === "audit_owner")) p.push(`${label}: no owner password from the Secret`);
    if (!init.volumeMounts.some((m) => m.name === "db-owner-password" && m.mountPath + "/password" === env.JIT_DB_PASSWORD_FILE)) {
      p.push(`${label}: the owner's password is not where JIT_DB_PASSWORD_FILE points`);
    }
    if (pod.containers[0].volumeMounts.some((m) => m.name === "db-owner-password")) p.push(`${label}: the sink mounts the owner's password`);
    const cm = find(objects, "ConfigMap", nameOf("audit"))?.data ?? {};
    if (!/^postgresql:\/\/jit_audit@/.test(cm.JIT_DB_URL ?? "")) p.push(`${label}: the sink connects as ${cm.JIT_DB_URL}`);
  }
  for (const svc of ["auth", "ca", "requests", "policy"]) {
    if (find(minimal, "Deployment", nameOf(svc))?.spec.template.spec.initContainers) p.push(`${svc}: unexpected init containers`);
  }
  return p;
});

// Who may call whom: the paths of common/auth/method_table.cc and no others.
check("NetworkPolicies allow only the designed paths", () => {
  const p = [];
  const callers = { auth: SERVICES, ca: SERVICES, requests: ["ca"], policy: SERVICES, audit: SERVICES };
  for (const svc of SERVICES) {
    const np = find(ha, "NetworkPolicy", nameOf(svc));
    if (!np) {
      p.push(`${svc}: no NetworkPolicy in the HA render`);
      continue;
    }
    // The services reach auth on its service lane (--service_listen_addr), people on grpc.
    const servicePort = svc === "auth" ? "grpc-services" : "grpc";
    const fromPods = np.spec.ingress
      .filter((r) => r.ports.some((x) => x.port === servicePort))
      .flatMap((r) => r.from ?? [])
      .map((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/component"])
      .filter(Boolean)
      .sort();
    const want = callers[svc].filter((c) => c !== svc).sort();
    if (JSON.stringify(fromPods) !== JSON.stringify(want)) p.push(`${svc}: gRPC (${servicePort}) from ${fromPods} (want ${want})`);
    if (svc === "auth" && np.spec.ingress.some((r) => r.ports.some((x) => x.port === "grpc") && (r.from ?? []).some((f) => f.podSelector))) {
      p.push("auth: services are let in on grpc, not only on the service lane (grpc-services)");
    }
    const clientRule = np.spec.ingress.find((r) => r.ports.some((x) => x.port === "grpc") && !(r.from ?? []).some((f) => f.podSelector));
    if (!clientRule) p.push(`${svc}: no client ingress`);
    if (!np.spec.egress.some((r) => r.ports?.some((x) => x.port === 5432))) p.push(`${svc}: no egress to PostgreSQL`);
  }
  return p;
});

// --- 5. alerts ---------------------------------------------------------------------------
check("PrometheusRule alerts parse (promtool check rules)", () => {
  const rule = ha.find((o) => o.kind === "PrometheusRule");
  if (!rule) return ["no PrometheusRule in the HA render"];
  const names = new Set(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)));
  const p = [];
  for (const a of ["JitAccessServiceDown", "JitAccessAuditOutboxBacklog", "JitAccessBreakGlassUnreviewed", "JitAccessCaSigningErrors"]) {
    if (!names.has(a)) p.push(`missing alert ${a}`);
  }
  if (!args.promtool) return p.concat(["promtool not found (Debian package prometheus)"]);
  const file = join(work, "rules.yaml");
  writeFileSync(file, YAML.stringify({ groups: rule.spec.groups }));
  const r = spawnSync(args.promtool, ["check", "rules", file], { encoding: "utf8" });
  if (r.status !== 0) p.push(`promtool: ${(r.stdout + r.stderr).trim()}`);
  return p;
});

// --- 6. the services' flags and the chart's values ---------------------------------------
const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8"));
const values = YAML.parse(readFileSync(join(chart, "values.yaml"), "utf8"));
const exemptions = readFileSync(args.exemptions, "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => {
    const [service, flag, kind, ...reason] = l.trim().split(/\s+/);
    return { service, flag, kind, reason: reason.join(" ") };
  });
const exempt = (svc, flag, kind) =>
  exemptions.find((e) => (e.service === svc || e.service === "*") && e.flag === flag && e.kind === kind);

function helpFlags(svc) {
  const bin = join(args["bin-dir"], `jit-${svc}`);
  const r = spawnSync(bin, ["--help"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${bin} --help exited ${r.status}: ${r.stderr}`);
  const flags = new Map();
  for (const m of r.stdout.matchAll(/^  --([a-z0-9_]+) \(default (.*)\)$/gm)) flags.set(m[1], m[2]);
  if (flags.size === 0) throw new Error(`${bin} --help lists no flags`);
  return flags;
}
const commonConfigKeys = Object.keys(schema.properties.config.properties);
const configKeys = (svc) => Object.keys(schema.properties[svc].properties.config.properties);
// Flags the chart sets: the ConfigMap of every render, and every config key the schema allows.
function chartFlags(svc) {
  const flags = new Map();
  for (const [label, objects] of [["default render", minimal], ["HA render", ha]]) {
    for (const k of Object.keys(find(objects, "ConfigMap", nameOf(svc))?.data ?? {})) {
      if (k.startsWith("JIT_")) flags.set(k.slice(4).toLowerCase(), `JIT_${k.slice(4)} in the ${label}`);
    }
  }
  for (const k of configKeys(svc)) flags.set(k, commonConfigKeys.includes(k) ? `config.${k}` : `${svc}.config.${k}`);
  return flags;
}
const help = {};
for (const svc of SERVICES) {
  check(`jit-${svc}: every flag has a chart value and every chart value names a flag`, () => {
    const p = [];
    help[svc] = helpFlags(svc);
    const chartSet = chartFlags(svc);
    for (const [flag, def] of help[svc]) {
      if (chartSet.has(flag)) {
        if (exempt(svc, flag, "pending")) p.push(`--${flag} exists now: drop its "pending" line from ${args.exemptions}`);
        continue;
      }
      if (exempt(svc, flag, "not-in-chart")) continue;
      p.push(`jit-${svc} --${flag} (default ${def}) has no chart value: add ${svc}.config.${flag} to helm/jit-access/values.yaml (null), values.schema.json (properties.${svc}.properties.config) and README.md - or, for a file or address, set JIT_${flag.toUpperCase()} in templates/_helpers.tpl (jit.env); or list it in ${args.exemptions} as not-in-chart with the reason`);
    }
    for (const [flag, where] of chartSet) {
      if (help[svc].has(flag)) continue;
      if (exempt(svc, flag, "pending")) continue;
      p.push(`${where} names no flag of jit-${svc} (--${flag}): remove it or fix its name`);
    }
    for (const e of exemptions.filter((e) => e.service === svc && e.kind === "not-in-chart")) {
      if (!help[svc].has(e.flag)) p.push(`${args.exemptions} lists --${e.flag} but jit-${svc} has no such flag`);
    }
    return p;
  });
}

let withDefaults = null;
// Every config key set to the binary's own default renders into the ConfigMap unchanged and
// passes the schema (proves the schema's types accept what the flag parser prints).
check("each config value set to the binary's default renders as JIT_<FLAG> and passes the schema", () => {
  const p = [];
  const set = { config: {} };
  const expected = {};
  for (const svc of SERVICES) {
    if (!help[svc]) return ["the flag checks above did not run"];
    set[svc] = { config: {} };
    expected[svc] = {};
    for (const key of configKeys(svc)) {
      let def = help[svc].get(key);
      if (def === undefined || def === '""') continue;
      const type = [].concat(schema.properties[svc].properties.config.properties[key].type);
      const value = type.includes("integer") ? Number(def) : def;
      set[svc].config[key] = value;
      expected[svc][`JIT_${key.toUpperCase()}`] = def;
    }
  }
  const file = join(work, "defaults.yaml");
  writeFileSync(file, YAML.stringify(set));
  let objects;
  try {
    objects = render("-f", minimalValues, "-f", file);
  } catch (e) {
    return [e.message];
  }
  withDefaults = objects;
  for (const svc of SERVICES) {
    const data = find(objects, "ConfigMap", nameOf(svc))?.data ?? {};
    for (const [k, v] of Object.entries(expected[svc])) {
      if (data[k] !== v) p.push(`${svc}: ${k} rendered as ${JSON.stringify(data[k])}, want ${JSON.stringify(v)}`);
    }
  }
  return p;
});

// The real binaries accept the configuration the chart renders: each runs with its
// ConfigMap as environment (the files the pod would mount laid out under a temporary
// directory) and gets past every flag check and file read to connecting to PostgreSQL,
// which fails (exit 1, "database:") since the chart's host does not exist here.
function acceptanceProblems(objects, label) {
  const files = join(work, "mounts", label);
  const pki = join(work, "pki");
  const p = [];
  for (const svc of SERVICES) {
    const dep = find(objects, "Deployment", nameOf(svc));
    const data = find(objects, "ConfigMap", nameOf(svc))?.data ?? {};
    const root = join(files, svc);
    const ca = readFileSync(join(pki, "internal-ca.pem"));
    // What the pod's volumes hold, by volume name.
    const content = {
      tls: { "tls.crt": readFileSync(join(pki, `${svc}.pem`)), "tls.key": readFileSync(join(pki, `${svc}.key`)), "ca.crt": ca },
      "db-password": { password: "not-used\n" },
      "postgresql-ca": { "ca.crt": ca },
      kek: { kek: Buffer.alloc(32, 7).toString("base64") + "\n" },
      "checkpoint-key": { key: Buffer.alloc(32, 9).toString("base64") + "\n" },
      "bootstrap-users": {
        "users.yaml": "users:\n  - {name: admin, roles: [admin], password_file: admin.password}\n",
        "admin.password": "correct horse battery staple\n",
      },
      "oidc-connectors": {
        "connectors.yaml": "connectors:\n  - name: corp\n    issuer: https://login.example.com\n    client_id: jit-access\n" +
          "    client_secret_file: corp.secret\n    redirect_url: https://jit.example.com/oidc/callback\n",
        "corp.secret": "s3cret\n",
      },
      notify: {
        "notify.yaml": "sinks:\n  - {name: ops, kind: slack, url_file: slack.url}\n" +
          "  - {name: pager, kind: pagerduty, routing_key_file: pd.key}\ndefault: [ops]\n",
        "slack.url": "https://hooks.slack.com/services/T0/B0/x\n",
        "pd.key": "r0uting\n",
      },
      roles: { "dev.yaml": readFileSync("deploy/local/examples/roles/dev.yaml") },
      "decision-hook-ca": { "ca.crt": ca },
      "decision-hook-token": { token: "t0ken\n" },
      export: {},
      tmp: {},
    };
    content["db-owner-password"] = { password: "not-used-either\n" };
    // Every container of the pod (audit's migrate init container too), with its own mounts,
    // the ConfigMap and its own env entries over it, and its args.
    const pod = dep.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const m of c.volumeMounts) {
        const items = content[m.name];
        if (!items) {
          p.push(`${svc}: no test content for volume ${m.name}`);
          continue;
        }
        mkdirSync(join(root, m.mountPath), { recursive: true });
        for (const [name, bytes] of Object.entries(items)) {
          writeFileSync(join(root, m.mountPath, name), bytes, { mode: 0o600 });
        }
      }
      const env = { PATH: process.env.PATH };
      const local = (v) => v.replaceAll("/etc/jit/", `${root}/etc/jit/`).replaceAll("/var/lib/jit/", `${root}/var/lib/jit/`);
      for (const [k, v] of Object.entries(data)) env[k] = local(v);
      for (const e of c.env ?? []) env[e.name] = local(e.value);
      const r = spawnSync(join(args["bin-dir"], `jit-${svc}`), c.args ?? [], { encoding: "utf8", env, timeout: 30000 });
      const out = `${r.stdout}${r.stderr}`.trim();
      if (r.status !== 1 || !/database: /.test(out)) {
        p.push(`${label}: jit-${svc} (container ${c.name}) exited ${r.status} before reaching PostgreSQL: ${out.split("\n").slice(-2).join(" | ")}`);
      }
    }
  }
  return p;
}
// The real binaries accept the configuration the chart renders: each runs with its
// ConfigMap as environment (the files the pod would mount laid out under a temporary
// directory) and gets past every flag check and file read to connecting to PostgreSQL,
// which fails (exit 1, "database:") since the chart's host does not exist here.
check("each binary accepts its rendered configuration and files, default and HA (it gets as far as PostgreSQL)", () => {
  if (!withDefaults) return ["the render with every config value did not run"];
  if (!args.bootstrap) return ["--bootstrap (jit-bootstrap) not given"];
  const b = spawnSync(args.bootstrap, [`--dir=${join(work, "pki")}`, "--users="], { encoding: "utf8" });
  if (b.status !== 0) return [`jit-bootstrap: ${b.stderr}`];
  return acceptanceProblems(withDefaults, "defaults").concat(acceptanceProblems(ha, "ha"));
});

// NOTES.txt (helm renders it only at install, which needs a cluster): rendered here as a
// template of a copy of the chart.
check("NOTES.txt renders: how to reach the services, create the first admin, export the CA keys", () => {
  const copy = join(work, "notes-chart");
  cpSync(chart, copy, { recursive: true });
  copyFileSync(join(copy, "templates", "NOTES.txt"), join(copy, "templates", "notes-as-template.txt"));
  const r = helm("template", "jit", copy, "--namespace", "jit", "-f", minimalValues,
    "--show-only", "templates/notes-as-template.txt", "--debug");
  const p = [];
  for (const want of ["jit-jit-access-auth.jit.svc:7101", "jit-jit-access-audit.jit.svc:7105",
    "first admin", "auth.bootstrapUsers.existingSecret", "GetCaPublicKeys", "TrustedUserCAKeys", "ssl_ca_file"]) {
    if (!r.out.includes(want)) p.push(`NOTES.txt lacks "${want}"`);
  }
  if (/<no value>|%!/.test(r.out)) p.push("NOTES.txt renders a missing value");
  return p;
});

// README documents every value.
check("README.md documents every value of values.yaml", () => {
  const readme = readFileSync(join(chart, "README.md"), "utf8");
  const paths = [];
  const walk = (o, prefix) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0 && !/resources$/.test(path)) walk(v, path);
      else paths.push(path);
    }
  };
  walk(values, "");
  const documented = (path) => {
    // <service>.x is documented once as `<service>.x`.
    const generic = path.replace(/^(auth|ca|requests|policy|audit)\./, "<service>.");
    return readme.includes("`" + path + "`") || readme.includes("`" + generic + "`");
  };
  return paths.filter((x) => !documented(x)).map((x) => `${x} is not in README.md`);
});

rmSync(work, { recursive: true, force: true });
process.exit(failures > 0 ? 1 : 0);
