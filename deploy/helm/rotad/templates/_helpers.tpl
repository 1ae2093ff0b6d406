{{- define "rotad.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rotad.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "rotad.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rotad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "rotad.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "rotad.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "rotad.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "rotad.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "rotad.configMapName" -}}
{{- default (include "rotad.fullname" .) .Values.existingConfigMap -}}
{{- end -}}

{{/* The config the chart writes: values.config, or files/default-config.yaml when it is empty. */}}
{{- define "rotad.config" -}}
{{- if .Values.config -}}
{{- toYaml .Values.config -}}
{{- else -}}
{{- .Files.Get "files/default-config.yaml" -}}
{{- end -}}
{{- end -}}

{{/* "true" when the chart's config has a store of type file. */}}
{{- define "rotad.usesFileStore" -}}
{{- $found := false -}}
{{- if not .Values.existingConfigMap -}}
{{- range $name, $store := ((include "rotad.config" . | fromYaml).stores | default dict) -}}
{{- if eq (toString $store.type) "file" -}}{{- $found = true -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if $found -}}true{{- end -}}
{{- end -}}

{{/* Seconds of a rotad duration such as 30s, 2m or 1h (0 when it cannot tell). */}}
{{- define "rotad.seconds" -}}
{{- $text := toString . -}}
{{- if regexMatch "^[0-9]+s$" $text -}}{{- trimSuffix "s" $text -}}
{{- else if regexMatch "^[0-9]+m$" $text -}}{{- mul (trimSuffix "m" $text | int) 60 -}}
{{- else if regexMatch "^[0-9]+h$" $text -}}{{- mul (trimSuffix "h" $text | int) 3600 -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{/* "true" when the state directory is a persistent volume: asked for, and needed (a file store, or a config the chart cannot see). */}}
{{- define "rotad.persistent" -}}
{{- if and .Values.persistence.enabled (or .Values.existingConfigMap (include "rotad.usesFileStore" .)) -}}true{{- end -}}
{{- end -}}

{{/*
The Secrets the config's kubernetes-secret consumers write in the cluster rotad runs in (those
with no kubeconfig of their own), as a dict: namespace → list of Secret names. With
existingConfigMap the chart cannot read the config: grant the RBAC yourself.
*/}}
{{- define "rotad.kubernetesSecrets" -}}
{{- $byNamespace := dict -}}
{{- if not .Values.existingConfigMap -}}
{{- range $policy := ((include "rotad.config" . | fromYaml).policies | default list) -}}
{{- range $consumer := ($policy.consumers | default list) -}}
{{- if and (eq $consumer.type "kubernetes-secret") (not $consumer.kubeconfig) -}}
{{- $names := get $byNamespace $consumer.namespace | default list -}}
{{- $_ := set $byNamespace $consumer.namespace (append $names $consumer.name | uniq) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $byNamespace -}}
{{- end -}}

{{/* Whether the pod needs its service-account token: Vault's Kubernetes auth, or a Kubernetes consumer. */}}
{{- define "rotad.needsServiceAccountToken" -}}
{{- if or .Values.vaultKubernetesAuth (gt (len (include "rotad.kubernetesSecrets" . | fromJson)) 0) (gt (len (include "rotad.kubernetesRollouts" . | fromJson)) 0) -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/*
The workloads the config's kubernetes-rollout consumers restart (those with no kubeconfig), as a
dict: namespace → resource (deployments, statefulsets, daemonsets) → names; "*" when a label
selector picks them (RBAC cannot limit list to names).
*/}}
{{- define "rotad.kubernetesRollouts" -}}
{{- $resources := dict "Deployment" "deployments" "StatefulSet" "statefulsets" "DaemonSet" "daemonsets" -}}
{{- $byNamespace := dict -}}
{{- if not .Values.existingConfigMap -}}
{{- range $policy := ((include "rotad.config" . | fromYaml).policies | default list) -}}
{{- range $consumer := ($policy.consumers | default list) -}}
{{- if and (eq $consumer.type "kubernetes-rollout") (not $consumer.kubeconfig) -}}
{{- $inNamespace := get $byNamespace $consumer.namespace | default dict -}}
{{- range $workload := $consumer.workloads -}}
{{- $resource := get $resources $workload.kind -}}
{{- $names := get $inNamespace $resource | default list -}}
{{- $_ := set $inNamespace $resource (append $names (default "*" $workload.name) | uniq) -}}
{{- end -}}
{{- $_ := set $byNamespace $consumer.namespace $inNamespace -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $byNamespace -}}
{{- end -}}
