// Validates every ServiceMonitor in the given multi-document YAML files against the schema that
// @kubernetes-models/prometheus-operator generates from the Prometheus Operator's CRD: types, enums, patterns and
// required fields (the CRD schema itself allows unknown fields, so those are not reported).
// Usage: node check.mjs FILE...; exit status 1 when one is invalid, 2 when a file has no ServiceMonitor.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

let invalid = 0;
for (const file of process.argv.slice(2)) {
  const monitors = parseAllDocuments(readFileSync(file, "utf8"))
    .map((document) => document.toJS())
    .filter((object) => object && object.apiVersion === "monitoring.coreos.com/v1" && object.kind === "ServiceMonitor");
  if (monitors.length === 0) {
    console.error(`${file}: no ServiceMonitor`);
    process.exit(2);
  }
  for (const monitor of monitors) {
    try {
      new ServiceMonitor(monitor).validate();
      console.log(`${file}: ServiceMonitor ${monitor.metadata.name} is valid`);
    } catch (error) {
      invalid++;
      console.log(`${file}: ServiceMonitor ${monitor.metadata?.name} is invalid: ${error.message}`);
    }
  }
}
process.exit(invalid === 0 ? 0 : 1);
