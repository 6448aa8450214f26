{{- define "loco.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "loco.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "loco.selectorLabels" -}}
app.kubernetes.io/name: {{ include "loco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "loco.labels" -}}
{{ include "loco.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "loco.dbClusterName" -}}
{{- printf "%s-db" (include "loco.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Refuse settings that cannot work, at install time rather than at the first deploy. */}}
{{- define "loco.validate" -}}
{{- if not (has .Values.database.mode (list "embedded" "external" "cnpg")) -}}
{{- fail (printf "database.mode %q is not one of embedded, external, cnpg" .Values.database.mode) -}}
{{- end -}}
{{- if and (eq .Values.database.mode "embedded") (gt (int .Values.replicaCount) 1) -}}
{{- fail "replicaCount > 1 needs PostgreSQL: the embedded database allows one process; set database.mode=external (with database.external.existingSecret) or database.mode=cnpg" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.github.org) (not (has "ReadWriteMany" .Values.persistence.accessModes)) -}}
{{- fail "replicaCount > 1 with local GitOps repositories needs a shared data volume: set github.org (repositories on GitHub) or persistence.accessModes=[ReadWriteMany]" -}}
{{- end -}}
{{- if and (eq .Values.database.mode "external") (not .Values.database.external.existingSecret) -}}
{{- fail "database.mode=external needs database.external.existingSecret: the name of a Secret holding DATABASE_URL" -}}
{{- end -}}
{{- if and .Values.argocd.url (not .Values.argocd.tokenSecret.name) -}}
{{- fail "argocd.url is set but argocd.tokenSecret.name is not: name the Secret that holds the Argo CD API token" -}}
{{- end -}}
{{- if and .Values.github.org (not .Values.github.tokenSecret.name) -}}
{{- fail "github.org is set but github.tokenSecret.name is not: name the Secret that holds the GitHub token" -}}
{{- end -}}
{{- end -}}
