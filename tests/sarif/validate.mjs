// Validates JSON documents against JSON Schemas with ajv.
//   node validate.mjs --modules DIR --schema S.json [--draft 2020|7] DOC.json... [--schema ...]
// DIR is the folder holding node_modules (installed from this folder's package.json and
// package-lock.json). Each --schema applies to the documents that follow it. Exits 1 when a
// document fails, printing every error.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const args = process.argv.slice(2);
let modules = null;
const jobs = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--modules") modules = args[++i];
  else if (args[i] === "--schema") jobs.push({ schema: args[++i], draft: "7", docs: [] });
  else if (args[i] === "--draft") jobs[jobs.length - 1].draft = args[++i];
  else if (jobs.length > 0) jobs[jobs.length - 1].docs.push(args[i]);
  else throw new Error(`document ${args[i]} before any --schema`);
}
if (!modules || jobs.length === 0) {
  console.error("usage: node validate.mjs --modules DIR --schema S.json [--draft 2020|7] DOC.json...");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), "package.json"));
const Ajv7 = require("ajv").default;
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

let failed = 0;
let passed = 0;
for (const job of jobs) {
  const schema = JSON.parse(readFileSync(job.schema, "utf8"));
  const ajv = job.draft === "2020" ? new Ajv2020({ allErrors: true, strict: false })
                                   : new Ajv7({ allErrors: true, strict: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  for (const doc of job.docs) {
    const data = JSON.parse(readFileSync(doc, "utf8"));
    if (validate(data)) {
      ++passed;
      console.log(`ok ${doc} (${path.basename(job.schema)})`);
    } else {
      ++failed;
      console.log(`FAIL ${doc} (${path.basename(job.schema)})`);
      for (const e of validate.errors) console.log(`  ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
