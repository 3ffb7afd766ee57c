import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
const yaml = require("js-yaml");
import { stackConfigSchema } from "../../../provider/core/stackSchema";
import { topologySchema } from "../../../provider/network/topology";

const repo = path.resolve(__dirname, "../../..");
const committed = JSON.parse(fs.readFileSync(path.join(repo, "schema/stack-config.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
const devConfig = () => yaml.load(fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8")) as any;
const errorsOf = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

describe("stack config JSON Schema", () => {
    it("the committed file is what the zod schemas give (run `npm run schema` after a schema edit)", () => {
        assert.deepStrictEqual(committed, JSON.parse(JSON.stringify(stackConfigSchema(topologySchema))));
    });

    it("accepts the dev stack's config, secrets in Pulumi's {secure} form too", () => {
        assert.deepStrictEqual(errorsOf(devConfig()), []);
        const doc = devConfig();
        doc.config["dvrlab:sshPrivateKey"] = { secure: "v1:abc" };
        assert.deepStrictEqual(errorsOf(doc), []);
    });

    it("rejects what the topology schema rejects, at the key's path", () => {
        const doc = devConfig();
        doc.config["dvrlab:topology"].networks[0].vlan = 5000;
        doc.config["dvrlab:topology"].vms[0].mac = "fa:16:3e:zz:00:01";
        doc.config["dvrlab:topology"].hosts[0].colour = "red";
        doc.config["dvrlab:knownHostsFile"] = 7;
        assert.deepStrictEqual(errorsOf(doc).sort(), [
            "/config/dvrlab:knownHostsFile must be string",
            "/config/dvrlab:topology/hosts/0 must NOT have additional properties",
            "/config/dvrlab:topology/networks/0/vlan must be <= 4095",
            '/config/dvrlab:topology/vms/0/mac must match pattern "^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"',
        ]);
    });
});
