import * as pulumi from "@pulumi/pulumi";
import * as dvrlab from "../../../../provider";

// test:resources is a JSON list of { kind, name, args }: one dvrlab resource each, every one
// pointed at test:host/test:port. The tests put hostile values in args (test/hostile/).
const cfg = new pulumi.Config("test");
const connection = { host: cfg.require("host"), port: cfg.getNumber("port") ?? 22 };
const resources = cfg.requireObject<{ kind: string; name: string; args: Record<string, unknown> }[]>("resources");

export const created = resources.map((r) => {
    const Kind = (dvrlab as any)[r.kind];
    if (typeof Kind !== "function") throw new Error(`no dvrlab resource kind ${r.kind}`);
    return new Kind(r.name, { connection, ...r.args }).urn;
});
