import { strict as assert } from "assert";
import { z } from "zod";
import { resolveGroups, unknownRemoteGroups } from "../../../provider/securityGroup/groups";
import { groupSchema } from "../../../provider/securityGroup/schema";

const groups = (g: Record<string, unknown>) => z.record(z.string(), groupSchema).parse(g);
const members = [
    { id: "web", group: "default", ip: "192.168.10.10" },
    { id: "db", group: "default", ip: "192.168.10.11" },
    { id: "peer", group: "ssh", ip: "192.168.10.12" },
];

describe("SecurityGroup topology groups", () => {
    it("an undeclared default group is Neutron's: ingress from its members, one rule per address; egress unset (all)", () => {
        const r = resolveGroups(groups({ ssh: { ingress: [{ protocol: "tcp", port: 22 }] } }), members);
        assert.deepEqual(r.get("web"), {
            ingress: [
                { protocol: "any", remoteCidr: "192.168.10.10/32" },
                { protocol: "any", remoteCidr: "192.168.10.11/32" },
            ],
        });
        assert.deepEqual(r.get("db"), r.get("web"));
        assert.deepEqual(r.get("peer"), { ingress: [{ protocol: "tcp", port: 22, remoteCidr: "0.0.0.0/0" }] });
    });

    it("remoteGroup expands to that group's members; egress rules by destination; repeats are dropped", () => {
        const g = groups({
            default: {
                ingress: [
                    { protocol: "icmp", remoteGroup: "ssh" },
                    { protocol: "icmp", remoteCidr: "192.168.10.12/32" },
                ],
                egress: [],
            },
            ssh: {
                ingress: [{ protocol: "tcp", port: "22:22", remoteGroup: "default" }],
                egress: [
                    { protocol: "udp", port: 53, remoteCidr: "10.1.2.3/8" },
                    { protocol: "icmp", remoteGroup: "ssh" },
                ],
            },
        });
        const r = resolveGroups(g, members);
        assert.deepEqual(r.get("web"), { ingress: [{ protocol: "icmp", remoteCidr: "192.168.10.12/32" }], egress: [] });
        assert.deepEqual(r.get("peer"), {
            ingress: [
                { protocol: "tcp", port: 22, remoteCidr: "192.168.10.10/32" },
                { protocol: "tcp", port: 22, remoteCidr: "192.168.10.11/32" },
            ],
            egress: [
                { protocol: "udp", port: 53, remoteCidr: "10.0.0.0/8" },
                { protocol: "icmp", remoteCidr: "192.168.10.12/32" },
            ],
        });
    });

    it("a group with no members allows nothing from it; an unknown group throws", () => {
        const r = resolveGroups(groups({ lonely: {}, ssh: { ingress: [{ protocol: "any", remoteGroup: "lonely" }] } }), members);
        assert.deepEqual(r.get("peer"), { ingress: [] });
        assert.throws(() => resolveGroups({}, [{ id: "x", group: "nope", ip: "10.0.0.1" }]), /x: unknown security group nope/);
    });

    it("check: remoteCidr and remoteGroup together, a port on icmp, an unknown remoteGroup are named by field", () => {
        const bad = z.record(z.string(), groupSchema).safeParse({
            a: {
                ingress: [
                    { protocol: "tcp", remoteCidr: "10.0.0.0/8", remoteGroup: "b" },
                    { protocol: "icmp", port: 1 },
                ],
            },
        });
        assert.ok(!bad.success);
        assert.deepEqual(bad.error.issues.map((i) => i.path.join(".")).sort(), ["a.ingress.0.remoteGroup", "a.ingress.1.port"]);
        assert.deepEqual(
            unknownRemoteGroups(groups({ a: { ingress: [{ protocol: "any", remoteGroup: "default" }], egress: [{ protocol: "any", remoteGroup: "b" }] } })),
            [{ path: ["a", "egress", 0, "remoteGroup"], group: "b" }],
        );
    });
});
