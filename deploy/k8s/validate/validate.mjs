// Validates Kubernetes objects strictly against the Kubernetes v1.33.0 API
// schemas, offline.
//
//   node validate.mjs FILE...     each FILE a YAML stream (`-` is stdin), e.g.
//                                 the output of `kubectl kustomize OVERLAY`
//
// The schemas come from the kubernetes-models package (4.5.1), generated from
// the OpenAPI spec of Kubernetes v1.33.0. Every object goes through three
// checks, and any finding is an error:
//
//   1. served: its apiVersion and kind are in SERVED below, kinds that
//      v1.33 serves. (The package also keeps API versions that Kubernetes
//      has removed, such as policy/v1beta1, which an apiserver would refuse.)
//   2. values: the package's own validation, compiled from the OpenAPI
//      schema: types, required fields, enum values, formats (quantities,
//      int-or-string). Those schemas allow fields they do not list, so:
//   3. shape: the package's TypeScript interfaces, checked by the TypeScript
//      compiler with each object written out as an object literal typed by
//      its kind's interface. A field the schema does not have, at any depth,
//      is an error (excess property check), as are wrong types and missing
//      required fields. The compiler reports the first such finding in
//      each object, so fix and run again.
//
// Exit status: 0 all valid, 1 findings, 2 could not validate (no input,
// unreadable YAML).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

export const KUBERNETES_VERSION = "v1.33.0";

// apiVersion -> kinds that Kubernetes v1.33 serves (GA versions only).
export const SERVED = {
  v1: [
    "ConfigMap", "LimitRange", "Namespace", "PersistentVolumeClaim", "Pod",
    "ResourceQuota", "Secret", "Service", "ServiceAccount",
  ],
  "apps/v1": ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"],
  "autoscaling/v1": ["HorizontalPodAutoscaler"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "batch/v1": ["CronJob", "Job"],
  "networking.k8s.io/v1": ["Ingress", "IngressClass", "NetworkPolicy"],
  "policy/v1": ["PodDisruptionBudget"],
  "rbac.authorization.k8s.io/v1": ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
  "scheduling.k8s.io/v1": ["PriorityClass"],
};

// The package's module for a kind: "v1/Service", "apps/v1/Deployment".
function modulePath(apiVersion, kind) {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function describe(doc) {
  const kind = doc?.kind ?? "?";
  const name = doc?.metadata?.name ?? "?";
  return `${kind}/${name}`;
}

function checkServed(doc) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return "not an object";
  }
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return "apiVersion and kind must be strings";
  }
  if (!(SERVED[apiVersion] ?? []).includes(kind)) {
    return `${apiVersion} ${kind} is not served by Kubernetes ${KUBERNETES_VERSION}`;
  }
  return null;
}

function checkValues(doc) {
  const models = require(modulePath(doc.apiVersion, doc.kind));
  const Model = models[doc.kind];
  try {
    new Model(doc).validate();
    return [];
  } catch (err) {
    if (!Array.isArray(err.errors)) throw err;
    return err.errors.map((e) => ({ path: e.instancePath || "/", message: e.message }));
  }
}

// The JSON pointer of the innermost property or element of `node` (an
// object literal written from a document) that contains `pos`.
function pointerAt(node, pos) {
  const parts = [];
  let current = node;
  for (;;) {
    if (ts.isObjectLiteralExpression(current)) {
      const prop = current.properties.find((p) => p.pos <= pos && pos < p.end);
      if (!prop || !ts.isPropertyAssignment(prop)) break;
      parts.push(prop.name.text);
      current = prop.initializer;
    } else if (ts.isArrayLiteralExpression(current)) {
      const index = current.elements.findIndex((e) => e.pos <= pos && pos < e.end);
      if (index < 0) break;
      parts.push(String(index));
      current = current.elements[index];
    } else {
      break;
    }
  }
  return "/" + parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

// Type-checks every document against its kind's interface in one program.
function checkShapes(docs) {
  const virtual = path.join(HERE, "__manifests__.ts");
  const lines = [];
  const imports = new Map();
  docs.forEach(({ doc }, i) => {
    const alias = `K${imports.size}`;
    const mod = modulePath(doc.apiVersion, doc.kind);
    if (!imports.has(mod)) imports.set(mod, alias);
    lines.push(`export const doc${i}: ${imports.get(mod)}.I${doc.kind} = ${JSON.stringify(doc)};`);
  });
  const header = [...imports].map(([mod, alias]) => `import type * as ${alias} from "${mod}";`);
  const text = [...header, ...lines].join("\n") + "\n";

  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(virtual, text, ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) =>
    name === virtual ? source : getSourceFile(name, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === virtual || fileExists(name);
  const program = ts.createProgram([virtual], options, host);

  // Which document a position is in: statement i of the header's length on.
  const statements = source.statements.slice(header.length);
  const findings = [];
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diag.messageText, "\n");
    if (diag.file !== source) {
      findings.push({ index: -1, path: "", message });
      continue;
    }
    const index = statements.findIndex((s) => s.pos <= diag.start && diag.start < s.end);
    const decl = statements[index]?.declarationList?.declarations[0];
    const pointer = decl ? pointerAt(decl.initializer, diag.start) : "";
    // The last line of a chain is the most specific ("'x' does not exist in type ...").
    const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
    findings.push({ index, path: pointer, message: lines[lines.length - 1] });
  }
  return findings;
}

// docs: [{source, doc}]. Returns [{source, object, check, path, message}].
export function validateDocuments(docs) {
  const errors = [];
  const typed = [];
  for (const entry of docs) {
    const object = describe(entry.doc);
    const problem = checkServed(entry.doc);
    if (problem) {
      errors.push({ source: entry.source, object, check: "served", path: "", message: problem });
      continue;
    }
    for (const finding of checkValues(entry.doc)) {
      errors.push({ source: entry.source, object, check: "values", ...finding });
    }
    typed.push(entry);
  }
  if (typed.length > 0) {
    for (const finding of checkShapes(typed)) {
      const entry = typed[finding.index];
      errors.push({
        source: entry?.source ?? "(validator)",
        object: entry ? describe(entry.doc) : "?",
        check: "shape",
        path: finding.path,
        message: finding.message,
      });
    }
  }
  return errors;
}

// A YAML stream into documents; empty documents (a stray ---) are skipped.
export function parseStream(text, source) {
  const docs = [];
  for (const parsed of parseAllDocuments(text, { uniqueKeys: true })) {
    if (parsed.errors.length > 0) {
      throw new Error(`${source}: ${parsed.errors[0].message}`);
    }
    const doc = parsed.toJS();
    if (doc !== null && doc !== undefined) docs.push({ source, doc });
  }
  return docs;
}

function main(argv) {
  if (argv.length === 0) {
    console.error("usage: node validate.mjs FILE... (YAML streams; - for stdin)");
    return 2;
  }
  let docs = [];
  try {
    for (const file of argv) {
      const text = readFileSync(file === "-" ? 0 : file, "utf8");
      docs = docs.concat(parseStream(text, file === "-" ? "stdin" : file));
    }
  } catch (err) {
    console.error(`validate: ${err.message}`);
    return 2;
  }
  if (docs.length === 0) {
    console.error("validate: no objects in the input");
    return 2;
  }
  const errors = validateDocuments(docs);
  for (const e of errors) {
    console.error(`${e.source}: ${e.object}: ${e.check}: ${e.path} ${e.message}`);
  }
  const sources = [...new Set(docs.map((d) => d.source))].join(", ");
  if (errors.length > 0) {
    console.error(`${errors.length} finding(s) in ${docs.length} objects (${sources})`);
    return 1;
  }
  console.log(`${docs.length} objects valid against Kubernetes ${KUBERNETES_VERSION} (${sources})`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
