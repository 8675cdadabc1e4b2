// The validator passes a valid object and rejects each kind of mistake it
// exists to catch; a validator that passes everything would fail here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStream, validateDocuments } from "../validate.mjs";

function deployment() {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "ok" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "x" } },
      template: {
        metadata: { labels: { app: "x" } },
        spec: {
          containers: [
            {
              name: "x",
              image: "foobar/foo:latest",
              ports: [{ name: "http", containerPort: 8080 }],
              resources: { limits: { cpu: "500m", memory: "64Mi" } },
              readinessProbe: { grpc: { port: 50051 }, periodSeconds: 2 },
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
            },
          ],
        },
      },
    },
  };
}

function container(doc) {
  return doc.spec.template.spec.containers[0];
}

// Each case: a name, how the object goes wrong, which check must say so,
// and the JSON pointer it must name.
const CASES = [
  ["unknown field at the top", (d) => { d.extra = 1; }, "shape", "/extra"],
  ["unknown field in spec", (d) => { d.spec.replica = 2; }, "shape", "/spec/replica"],
  ["unknown field in a container", (d) => { container(d).imagePullPolice = "Always"; },
    "shape", "/spec/template/spec/containers/0/imagePullPolice"],
  ["unknown field deep in a probe", (d) => { container(d).readinessProbe.grpc.servce = "x"; },
    "shape", "/spec/template/spec/containers/0/readinessProbe/grpc/servce"],
  ["unknown field in metadata", (d) => { d.metadata.label = { a: "b" }; },
    "shape", "/metadata/label"],
  ["number as a string", (d) => { d.spec.replicas = "1"; }, "values", "/spec/replicas"],
  ["port as a string", (d) => { container(d).ports[0].containerPort = "8080"; },
    "values", "/spec/template/spec/containers/0/ports/0/containerPort"],
  ["list where an object belongs", (d) => { d.spec.selector = []; }, "values", "/spec/selector"],
  ["value outside the enum", (d) => { container(d).imagePullPolicy = "Sometimes"; },
    "values", "/spec/template/spec/containers/0/imagePullPolicy"],
  ["not a quantity", (d) => { container(d).resources.limits.memory = "lots"; },
    "values", "/spec/template/spec/containers/0/resources/limits/memory"],
  ["required field missing", (d) => { delete container(d).name; },
    "values", "/spec/template/spec/containers/0"],
  ["removed API version", (d) => { d.apiVersion = "extensions/v1beta1"; }, "served", ""],
  ["unknown kind", (d) => { d.kind = "Deploymnt"; }, "served", ""],
];

test("a valid Deployment passes", () => {
  assert.deepEqual(validateDocuments([{ source: "t", doc: deployment() }]), []);
});

test("every mistake is caught, at its place", () => {
  // One run for all: the type-checking pass is the slow part.
  const docs = CASES.map(([name, mutate]) => {
    const doc = deployment();
    doc.metadata.name = name.replace(/ /g, "-");
    mutate(doc);
    return { source: "t", doc };
  });
  const errors = validateDocuments(docs);
  for (const [name, , check, pointer] of CASES) {
    const object = name.replace(/ /g, "-");
    const mine = errors.filter((e) => e.object.endsWith(`/${object}`));
    assert.ok(
      mine.some((e) => e.check === check && e.path.startsWith(pointer)),
      `${name}: want a ${check} finding at ${pointer}, got ${JSON.stringify(mine)}`,
    );
  }
});

test("a good object next to a bad one stays clean", () => {
  const bad = deployment();
  bad.metadata.name = "bad";
  bad.spec.bogus = true;
  const errors = validateDocuments([
    { source: "t", doc: deployment() },
    { source: "t", doc: bad },
  ]);
  assert.deepEqual(errors.map((e) => e.object), ["Deployment/bad"]);
});

test("duplicate keys in the YAML are refused", () => {
  assert.throws(() => parseStream("kind: a\nkind: b\n", "t"), /unique|duplicate/i);
});

test("empty documents are skipped", () => {
  const docs = parseStream("---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", "t");
  assert.equal(docs.length, 1);
  assert.deepEqual(validateDocuments(docs), []);
});
