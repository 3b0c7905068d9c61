{{/* Names and labels shared by every object of the chart. */}}

{{- define "kvsqueeze.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped name; the release name alone when it already contains the chart name. */}}
{{- define "kvsqueeze.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kvsqueeze.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kvsqueeze.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kvsqueeze.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kvsqueeze.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kvsqueeze.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kvsqueeze.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The server image: the CUDA variant (tag suffix -cuda) when gpu.enabled. */}}
{{- define "kvsqueeze.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.gpu.enabled -}}
{{- $tag = printf "%s-cuda" $tag -}}
{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/* Secret holding the chart-managed credentials (admin token, database password). */}}
{{- define "kvsqueeze.secretName" -}}
{{- include "kvsqueeze.fullname" . -}}
{{- end -}}

{{- define "kvsqueeze.adminTokenSecretName" -}}
{{- default (include "kvsqueeze.secretName" .) .Values.adminToken.existingSecret -}}
{{- end -}}

{{- define "kvsqueeze.adminTokenSecretKey" -}}
{{- if .Values.adminToken.existingSecret -}}
{{- .Values.adminToken.existingSecretKey -}}
{{- else -}}
admin-token
{{- end -}}
{{- end -}}

{{- define "kvsqueeze.databaseSecretName" -}}
{{- default (include "kvsqueeze.secretName" .) .Values.database.existingSecret -}}
{{- end -}}

{{- define "kvsqueeze.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecretPasswordKey -}}
{{- else -}}
database-password
{{- end -}}
{{- end -}}

{{/* The chart creates its Secret when it holds at least one of the two credentials. */}}
{{- define "kvsqueeze.createSecret" -}}
{{- if or (not .Values.adminToken.existingSecret) (and (eq .Values.database.mode "external") (not .Values.database.existingSecret)) -}}
true
{{- end -}}
{{- end -}}

{{- define "kvsqueeze.homeClaimName" -}}
{{- default (printf "%s-home" (include "kvsqueeze.fullname" .)) .Values.home.persistence.existingClaim -}}
{{- end -}}

{{/* Where the image keeps KVSQUEEZE_HOME (Dockerfile: ENV KVSQUEEZE_HOME, VOLUME). */}}
{{- define "kvsqueeze.homePath" -}}
/var/lib/kvsqueeze
{{- end -}}

{{/* database.mode=bundled: the chart's PostgreSQL. */}}
{{- define "kvsqueeze.postgresName" -}}
{{- /* 52, not 63: the StatefulSet's pods carry a controller-revision-hash label of this name plus 11 characters. */ -}}
{{- printf "%s-postgresql" (include "kvsqueeze.fullname" .) | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "kvsqueeze.postgresSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kvsqueeze.name" . }}-postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kvsqueeze.postgresSecretName" -}}
{{- default (include "kvsqueeze.postgresName" .) .Values.database.bundled.existingSecret -}}
{{- end -}}

{{- define "kvsqueeze.postgresSecretKey" -}}
{{- if .Values.database.bundled.existingSecret -}}
{{- .Values.database.bundled.existingSecretPasswordKey -}}
{{- else -}}
password
{{- end -}}
{{- end -}}

{{- define "kvsqueeze.postgresImage" -}}
{{- printf "%s:%s" .Values.database.bundled.image.repository .Values.database.bundled.image.tag -}}
{{- end -}}

{{- define "kvsqueeze.postgresJdbcUrl" -}}
{{- printf "jdbc:postgresql://%s:5432/%s" (include "kvsqueeze.postgresName" .) .Values.database.bundled.database -}}
{{- end -}}
