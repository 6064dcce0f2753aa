{{/* Names, labels and the pod pieces shared by the connector, worker and admin Deployments. */}}

{{- define "distributary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "distributary.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "distributary.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object, besides name and instance. */}}
{{- define "distributary.commonLabels" -}}
helm.sh/chart: {{ include "distributary.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: distributary
{{- end }}

{{/* Labels of objects that belong to no single component. */}}
{{- define "distributary.labels" -}}
{{ include "distributary.commonLabels" . }}
app.kubernetes.io/name: {{ include "distributary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "worker" ["group" "search"]). */}}
{{- define "distributary.selectorLabels" -}}
app.kubernetes.io/name: {{ include "distributary.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- if .group }}
distributary.io/worker-group: {{ .group }}
{{- end }}
{{- end }}

{{/* Labels of a component's objects: (dict "root" $ "component" c ["group" g]). */}}
{{- define "distributary.componentLabels" -}}
{{ include "distributary.commonLabels" .root }}
{{ include "distributary.selectorLabels" . }}
{{- end }}

{{- define "distributary.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "distributary.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "distributary.secretName" -}}
{{- default (printf "%s-credentials" (include "distributary.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "distributary.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The admin's HTTP port: config admin.port, as the app reads it; a literal number here, since the
container port, the Service and the probes need it. */}}
{{- define "distributary.adminPort" -}}
{{- $admin := .Values.config.admin | default dict }}
{{- $port := toString ($admin.port | default 8080) }}
{{- if not (regexMatch "^[0-9]+$" $port) }}
{{- fail (printf "config.admin.port: a number is needed (the chart sets the container port and probes from it), not %q" $port) }}
{{- end }}
{{- $port | int }}
{{- end }}

{{/* The gateway's HTTP port: config gateway.port (default 8090), a literal number like the admin's. */}}
{{- define "distributary.gatewayPort" -}}
{{- $gateway := .Values.config.gateway | default dict }}
{{- $port := toString ($gateway.port | default 8090) }}
{{- if not (regexMatch "^[0-9]+$" $port) }}
{{- fail (printf "config.gateway.port: a number is needed (the chart sets the container port and probes from it), not %q" $port) }}
{{- end }}
{{- $port | int }}
{{- end }}

{{/* Path of the configuration file inside the pods. */}}
{{- define "distributary.configPath" -}}
/etc/distributary/distributary.yaml
{{- end }}

{{/*
The configuration a worker group runs with: `config` with only the group's sinks. Fails the
render when a group names an unknown sink; the caller checks that every sink has a group.
(dict "root" $ "group" $group)
*/}}
{{- define "distributary.groupConfig" -}}
{{- $config := deepCopy .root.Values.config }}
{{- $byName := dict }}
{{- range $sink := (.root.Values.config.sinks | default list) }}
{{- $_ := set $byName $sink.name $sink }}
{{- end }}
{{- $sinks := list }}
{{- range $name := .group.sinks }}
{{- if not (hasKey $byName $name) }}
{{- fail (printf "worker.groups[%s].sinks: no sink named %q in config.sinks" $.group.name $name) }}
{{- end }}
{{- $sinks = append $sinks (get $byName $name) }}
{{- end }}
{{- $_ := set $config "sinks" $sinks }}
{{- toYaml $config }}
{{- end }}

{{/*
The worker groups to render, each merged over the worker defaults. Without `worker.groups` there is
one unnamed group running every sink. Every sink must be in exactly one group: a sink in none
would silently never be applied, a sink in two would have two owners' worth of HPAs fighting.
Returns YAML: { groups: [ { name, sinks, replicas, resources, autoscaling, ... } ] }.
*/}}
{{- define "distributary.workerGroups" -}}
{{- $defaults := omit .Values.worker "groups" }}
{{- $groups := list }}
{{- if .Values.worker.groups }}
{{- $seen := dict }}
{{- range $group := .Values.worker.groups }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString $group.name)) }}
{{- fail (printf "worker.groups: name %q must be lower-case letters, digits and dashes" (toString $group.name)) }}
{{- end }}
{{- if not $group.sinks }}
{{- fail (printf "worker.groups[%s].sinks: list at least one sink" $group.name) }}
{{- end }}
{{- range $name := $group.sinks }}
{{- if hasKey $seen $name }}
{{- fail (printf "worker.groups: sink %q is in both %q and %q" $name (get $seen $name) $group.name) }}
{{- end }}
{{- $_ := set $seen $name $group.name }}
{{- end }}
{{- $merged := mergeOverwrite (deepCopy $defaults) (deepCopy $group) }}
{{- $groups = append $groups $merged }}
{{- end }}
{{- range $sink := ($.Values.config.sinks | default list) }}
{{- if not (hasKey $seen $sink.name) }}
{{- fail (printf "worker.groups: sink %q is in no group; every sink must be in exactly one" $sink.name) }}
{{- end }}
{{- end }}
{{- else }}
{{- $groups = append $groups (merge (dict "name" "") (deepCopy $defaults)) }}
{{- end }}
{{- toYaml (dict "groups" $groups) }}
{{- end }}

{{/* Environment of every container: credentials from the Secret, then settings, then extraEnv. */}}
{{- define "distributary.env" -}}
{{- $secretName := include "distributary.secretName" .root }}
{{- range $env, $key := .root.Values.secrets.keys }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $key }}
      {{- if has $env $.root.Values.secrets.optionalKeys }}
      optional: true
      {{- end }}
{{- end }}
- name: DISTRIBUTARY_CONFIG
  value: {{ include "distributary.configPath" .root }}
- name: DISTRIBUTARY_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
{{- if ne .component "admin" }}
- name: DISTRIBUTARY_METRICS_PORT
  value: {{ .root.Values.metricsPort | quote }}
{{- end }}
- name: NODE_ENV
  value: production
- name: TMPDIR
  value: /tmp
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- with (.spec | default dict).nodeOptions }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level pieces: (dict "root" $ "component" "worker" "spec" $spec "configMap" name "group" name). */}}
{{- define "distributary.podSpec" -}}
{{- $root := .root }}
{{- $spec := .spec }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "distributary.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
terminationGracePeriodSeconds: {{ $spec.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $spec.affinity }}
affinity:
  {{- toYaml $spec.affinity | nindent 2 }}
{{- else if eq .component "connector" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "distributary.selectorLabels" (dict "root" $root "component" "connector") | nindent 14 }}
{{- end }}
{{- with $spec.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ .component }}
    image: {{ include "distributary.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args:
      - run
      - --only
      - {{ .component }}
      - --config
      - {{ include "distributary.configPath" $root }}
    {{- if eq .component "admin" }}
    ports:
      - name: http
        containerPort: {{ include "distributary.adminPort" $root }}
        protocol: TCP
    {{- else if eq .component "gateway" }}
    ports:
      - name: http
        containerPort: {{ include "distributary.gatewayPort" $root }}
        protocol: TCP
      - name: metrics
        containerPort: {{ $root.Values.metricsPort }}
        protocol: TCP
    {{- else }}
    ports:
      - name: metrics
        containerPort: {{ $root.Values.metricsPort }}
        protocol: TCP
    {{- end }}
    env:
      {{- include "distributary.env" . | trim | nindent 6 }}
    {{- with $root.Values.extraEnvFrom }}
    envFrom:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    livenessProbe:
      httpGet:
        path: /health/live
        port: {{ if eq .component "admin" }}http{{ else }}metrics{{ end }}
      {{- toYaml $spec.livenessProbe | nindent 6 }}
    readinessProbe:
      httpGet:
        path: /health/ready
        port: {{ if or (eq .component "admin") (eq .component "gateway") }}http{{ else }}metrics{{ end }}
      {{- toYaml $spec.readinessProbe | nindent 6 }}
    resources:
      {{- toYaml $spec.resources | nindent 6 }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/distributary
        readOnly: true
      - name: tmp
        mountPath: /tmp
volumes:
  - name: config
    configMap:
      name: {{ .configMap }}
  - name: tmp
    emptyDir:
      sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- end }}

{{/* Pod template metadata: (dict "root" $ "component" c "group" g "configText" text). */}}
{{- define "distributary.podMetadata" -}}
labels:
  {{- include "distributary.componentLabels" . | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ .configText | sha256sum }}
  {{- if not .root.Values.secrets.existingSecret }}
  checksum/secret: {{ toJson .root.Values.secrets.values | sha256sum }}
  {{- end }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
Fails on a config key that Helm turned into a boolean. Helm reads values as YAML 1.1, where on, off,
yes and no are booleans: a join's `on:` key would reach the app as "true". (dict "path" "" "value" x)
*/}}
{{- define "distributary.checkConfigKeys" -}}
{{- if kindIs "map" .value }}
{{- range $key, $child := .value }}
{{- if has $key (list "true" "false") }}
{{- fail (printf "config%s: the key %q was read as a boolean (Helm reads YAML 1.1: on/off/yes/no are booleans); quote it, e.g. \"on\":" $.path $key) }}
{{- end }}
{{- include "distributary.checkConfigKeys" (dict "path" (printf "%s.%s" $.path $key) "value" $child) }}
{{- end }}
{{- else if kindIs "slice" .value }}
{{- range $index, $child := .value }}
{{- include "distributary.checkConfigKeys" (dict "path" (printf "%s[%d]" $.path $index) "value" $child) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Fails on a literal credential in `config:`: the ConfigMap is readable by anyone who may read the
namespace's ConfigMaps, so a password, token or URL credential there is a leak. Secret-named keys
(password, token, secret, …) must hold a ${NAME} / ${file:…} reference, and URLs may not carry a
literal password (user:password@ or ?password=). (dict "path" "" "value" x)
*/}}
{{- define "distributary.checkConfigSecrets" -}}
{{- $hint := "move it to a Secret: set secrets.existingSecret (or secrets.values) with an entry in secrets.keys, and write ${NAME} here" }}
{{- if kindIs "map" .value }}
{{- range $key, $child := .value }}
{{- $path := printf "%s.%s" $.path $key }}
{{- if and (kindIs "string" $child) (regexMatch "(?i)(password|passwd|secret|token|apikey|api_key|credentials?)$" $key) (not (regexMatch "^\\$\\{[^}]+\\}$" $child)) }}
{{- fail (printf "config%s: a literal credential in the ConfigMap; %s" $path $hint) }}
{{- end }}
{{- include "distributary.checkConfigSecrets" (dict "path" $path "value" $child) }}
{{- end }}
{{- else if kindIs "slice" .value }}
{{- range $index, $child := .value }}
{{- include "distributary.checkConfigSecrets" (dict "path" (printf "%s[%d]" $.path $index) "value" $child) }}
{{- end }}
{{- else if kindIs "string" .value }}
{{- if regexMatch "^[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:[^$/@][^/]*@" .value }}
{{- fail (printf "config%s: a URL with a literal password in the ConfigMap; %s (e.g. url: ${PG_URL})" .path $hint) }}
{{- end }}
{{- if regexMatch "(?i)[?&](ssl)?password=[^$&]" .value }}
{{- fail (printf "config%s: a URL with a literal password= parameter in the ConfigMap; %s" .path $hint) }}
{{- end }}
{{- end }}
{{- end }}
