{{/* The five services and their fixed ports (common/server/ports.h; health = gRPC + 100). */}}
{{- define "jit.services" -}}auth ca requests policy audit{{- end -}}
{{- define "jit.grpcPort" -}}{{ get (dict "auth" 7101 "ca" 7102 "requests" 7103 "policy" 7104 "audit" 7105) . }}{{- end -}}
{{- define "jit.metricsPort" -}}{{ get (dict "auth" 9101 "ca" 9102 "requests" 9103 "policy" 9104 "audit" 9105) . }}{{- end -}}
{{/* auth's service lane (--service_listen_addr): client certificate required, threads of its own; the other services call auth there. */}}
{{- define "jit.serviceLanePort" -}}7301{{- end -}}
{{- define "jit.healthPort" -}}{{ add (include "jit.grpcPort" . | int) 100 }}{{- end -}}

{{- define "jit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a service's objects: (dict "root" $ "svc" "auth") */}}
{{- define "jit.svcName" -}}{{ include "jit.fullname" .root }}-{{ .svc }}{{- end -}}

{{- define "jit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jit.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .svc }}
{{- end -}}

{{- define "jit.labels" -}}
{{ include "jit.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: jit-access
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "jit.image" -}}
{{- $v := get .root.Values .svc -}}
{{- $repo := default (printf "%s-%s" .root.Values.image.repository .svc) $v.image.repository -}}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) $v.image.tag -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "jit.tlsSecret" -}}
{{- $name := get .root.Values.tls.secrets .svc -}}
{{- default (printf "%s-tls" (include "jit.svcName" .)) $name -}}
{{- end -}}

{{/* PostgreSQL URL without password (the password comes from a file); as the service's
user, or as .user when given (audit's schema owner). */}}
{{- define "jit.dbUrl" -}}
{{- $pg := .root.Values.postgresql -}}
{{- $q := list (printf "sslmode=%s" $pg.sslmode) -}}
{{- if $pg.serverCaSecret -}}{{- $q = append $q "sslrootcert=/etc/jit/postgresql-ca/ca.crt" -}}{{- end -}}
{{- printf "postgresql://%s@%s:%d/%s?%s" (default (get $pg.users .svc) .user) $pg.host (int $pg.port) $pg.database (join "&" $q) -}}
{{- end -}}

{{/*
The service's configuration as JIT_* environment variables (ConfigMap data): the flags the
chart sets itself (addresses, files it mounts), then config and <service>.config (non-null).
*/}}
{{- define "jit.env" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $v := get $root.Values $svc -}}
{{- $env := dict -}}
{{- $_ := set $env "JIT_LISTEN_ADDR" (printf "0.0.0.0:%s" (include "jit.grpcPort" $svc)) -}}
{{- $_ := set $env "JIT_METRICS_ADDR" (printf "0.0.0.0:%s" (include "jit.metricsPort" $svc)) -}}
{{- $_ := set $env "JIT_HEALTH_ADDR" (printf "0.0.0.0:%s" (include "jit.healthPort" $svc)) -}}
{{- $_ := set $env "JIT_TLS_CERT_FILE" "/etc/jit/tls/tls.crt" -}}
{{- $_ := set $env "JIT_TLS_KEY_FILE" "/etc/jit/tls/tls.key" -}}
{{- $_ := set $env "JIT_TLS_CA_FILE" "/etc/jit/tls/ca.crt" -}}
{{- $_ := set $env "JIT_DB_URL" (include "jit.dbUrl" .) -}}
{{- $_ := set $env "JIT_DB_PASSWORD_FILE" "/etc/jit/db/password" -}}
{{- range $peer := splitList " " (include "jit.services" .) -}}
{{- $port := ternary (include "jit.serviceLanePort" .) (include "jit.grpcPort" $peer) (eq $peer "auth") -}}
{{- /* The headless Service: every ready pod's address, called round robin (common/client/peer.h). */ -}}
{{- $_ := set $env (printf "JIT_%s_ADDR" (upper $peer)) (printf "dns:///%s-headless:%s" (include "jit.svcName" (dict "root" $root "svc" $peer)) $port) -}}
{{- end -}}
{{- if or (eq $svc "auth") (eq $svc "ca") -}}
{{- $_ := set $env "JIT_KEY_ENCRYPTION_KEY_FILE" "/etc/jit/kek/kek" -}}
{{- end -}}
{{- if eq $svc "auth" -}}
{{- $_ := set $env "JIT_SERVICE_LISTEN_ADDR" (printf "0.0.0.0:%s" (include "jit.serviceLanePort" .)) -}}
{{- if $v.bootstrapUsers.existingSecret -}}{{- $_ := set $env "JIT_BOOTSTRAP_USERS_FILE" "/etc/jit/bootstrap/users.yaml" -}}{{- end -}}
{{- if $v.oidcConnectors.existingSecret -}}{{- $_ := set $env "JIT_OIDC_CONNECTORS_FILE" "/etc/jit/oidc/connectors.yaml" -}}{{- end -}}
{{- end -}}
{{- if and (eq $svc "requests") $v.notifications.existingSecret -}}
{{- $_ := set $env "JIT_NOTIFY_CONFIG" "/etc/jit/notify/notify.yaml" -}}
{{- end -}}
{{- if eq $svc "audit" -}}
{{- $_ := set $env "JIT_CHECKPOINT_KEY_FILE" "/etc/jit/checkpoint/key" -}}
{{- if $v.export.enabled -}}{{- $_ := set $env "JIT_EXPORT_DIR" "/var/lib/jit/export" -}}{{- end -}}
{{- end -}}
{{- if eq $svc "policy" -}}
{{- if or $v.roles $v.rolesConfigMap -}}{{- $_ := set $env "JIT_ROLES_DIR" "/etc/jit/roles" -}}{{- end -}}
{{- if $v.decisionHook.caSecret -}}{{- $_ := set $env "JIT_DECISION_HOOK_CA_FILE" "/etc/jit/decision-hook-ca/ca.crt" -}}{{- end -}}
{{- if $v.decisionHook.tokenSecret -}}{{- $_ := set $env "JIT_DECISION_HOOK_TOKEN_FILE" "/etc/jit/decision-hook-token/token" -}}{{- end -}}
{{- end -}}
{{- range $k, $val := $root.Values.config -}}
{{- if not (kindIs "invalid" $val) -}}{{- $_ := set $env (printf "JIT_%s" (upper $k)) (include "jit.flagValue" $val) -}}{{- end -}}
{{- end -}}
{{- range $k, $val := $v.config -}}
{{- if not (kindIs "invalid" $val) -}}{{- $_ := set $env (printf "JIT_%s" (upper $k)) (include "jit.flagValue" $val) -}}{{- end -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* A value as the flag parser reads it: whole numbers without exponent, lists comma-joined. */}}
{{- define "jit.flagValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else if kindIs "slice" . -}}
{{- join "," . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
