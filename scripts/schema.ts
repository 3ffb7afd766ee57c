// `npm run schema [-- --check]`: writes schema/stack-config.schema.json from the zod schemas
// (--check: exit 1 when the file is not what the schemas give, e.g. in CI after a schema edit).
import * as fs from "fs";
import * as path from "path";
import { stackConfigSchema } from "../provider/core/stackSchema";
import { topologySchema } from "../provider/network/topology";

const file = path.resolve(__dirname, "..", "schema", "stack-config.schema.json");
const text = JSON.stringify(stackConfigSchema(topologySchema), null, 2) + "\n";
if (process.argv.includes("--check")) {
    const same = fs.existsSync(file) && fs.readFileSync(file, "utf8") === text;
    console.log(same ? `${file}: up to date` : `${file}: stale, run npm run schema`);
    process.exit(same ? 0 : 1);
}
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, text);
console.log(`wrote ${file}`);
