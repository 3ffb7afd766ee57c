import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { chainRules } from "../../../provider/securityGroup/planner";
import { securityGroupSchema } from "../../../provider/securityGroup/schema";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

// SecurityGroup through the provider, in-process, against a lab host. A lab host is a network
// namespace: its iptables (here iptables-nft) is its own. The tap is one end of a dvrlt veth in a
// dvrlt Linux bridge, as Neutron's hybrid firewall has it (tap in qbr); everything carries dvrlt.
const HOST = LAB["server-68"];
const tag = process.pid % 10000;
const BR = `dvrlt-sb${tag}`;
const TAP = `dvrlt-st${tag}`;
const PEER = `dvrlt-sp${tag}`;
const PORT_ID = `dvrlt-sg${tag}`;
const OWNER = "dvrlab:itest/sg";

const save = () => hostCheck(HOST, "iptables-save -t filter");
/** Every line of `iptables-save` that is ours: our chains, our jumps, our comment. */
const ours = () =>
    save()
        .split("\n")
        .filter((l) => l.includes(PORT_ID));
const ruleSpecs = (chain: string) => hostCheck(HOST, 'iptables -w -S "$1"', chain).trim().split("\n");

describe("SecurityGroup provider on a lab host", function () {
    this.timeout(60_000);
    const p = () => provider("SecurityGroup", 1);
    const ingress = [{ protocol: "icmp" }, { protocol: "tcp", port: 22, remoteCidr: "192.168.10.0/24" }];
    const inputs = { connection: { host: HOST }, owner: OWNER, portId: PORT_ID, tap: TAP, ip: "192.168.10.168", mac: "fa:16:3e:ff:aa:66", ingress };
    let outs: any;
    const checked = async (i: any) => {
        const r = await p().check({}, i);
        assert.equal(r.failures, undefined, JSON.stringify(r.failures));
        return r.inputs;
    };

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(
            HOST,
            'ip link add name "$1" type bridge && ip link add name "$2" type veth peer name "$3" && ip link set "$2" master "$1" && ip link set "$1" up && ip link set "$2" up && ip link set "$3" up',
            BR,
            TAP,
            PEER,
        );
    });
    after(async () => {
        if (!labIsUp) return;
        // whatever a failed test left: our jumps, then our chains, then the devices
        hostSh(
            HOST,
            'iptables-save -t filter | grep -- "--comment dvrlab-sg-$1 " | sed "s/^-A /-D /" | while read -r r; do eval "iptables -w $r"; done; for c in "dvrl-i-$1" "dvrl-o-$1" "dvrl-s-$1"; do iptables -w -F "$c"; done; for c in "dvrl-i-$1" "dvrl-o-$1" "dvrl-s-$1"; do iptables -w -X "$c"; done; ip link del dev "$2"; ip link del dev "$3"; true',
            PORT_ID,
            TAP,
            BR,
        );
        closeExecutor();
    });

    it("create writes the three chains and the FORWARD jumps for the tap", async () => {
        assert.deepEqual(ours(), [], "nothing of ours before");
        const r = await p().create(await checked(inputs));
        outs = r.outs;
        assert.equal(r.id, `${HOST}/sg/${PORT_ID}`);
        const want = chainRules(securityGroupSchema.parse(inputs));
        assert.deepEqual(ruleSpecs(`dvrl-i-${PORT_ID}`), [`-N dvrl-i-${PORT_ID}`, ...want.ingress]);
        assert.ok(want.ingress.includes(`-A dvrl-i-${PORT_ID} -s 192.168.10.0/24 -p tcp -m tcp --dport 22 -j ACCEPT`));
        assert.deepEqual(ruleSpecs(`dvrl-o-${PORT_ID}`), [`-N dvrl-o-${PORT_ID}`, ...want.egress]);
        assert.deepEqual(ruleSpecs(`dvrl-s-${PORT_ID}`), [
            `-N dvrl-s-${PORT_ID}`,
            `-A dvrl-s-${PORT_ID} -s 192.168.10.168/32 -m mac --mac-source fa:16:3e:ff:aa:66 -j RETURN`,
            `-A dvrl-s-${PORT_ID} -j DROP`,
        ]);
        const fwd = ruleSpecs("FORWARD").filter((l) => l.includes(PORT_ID));
        assert.equal(fwd.length, 2);
        assert.ok(fwd.some((l) => l.includes(`--physdev-out ${TAP} `) && l.endsWith(`-j dvrl-i-${PORT_ID}`)));
        assert.ok(fwd.some((l) => l.includes(`--physdev-in ${TAP} `) && l.endsWith(`-j dvrl-o-${PORT_ID}`)));
    });

    it("read equals the inputs; diff finds no change", async () => {
        const r = await p().read(`${HOST}/sg/${PORT_ID}`, outs);
        const news = await checked(inputs);
        for (const k of ["portId", "tap", "ip", "mac", "ingress", "egress", "enforcement", "owner", "connection"]) assert.deepEqual(r.inputs[k], news[k], k);
        assert.deepEqual(await p().diff("x", r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("an added rule updates in place (chains rewritten atomically, jumps not duplicated)", async () => {
        const more = { ...inputs, ingress: [...ingress, { protocol: "udp", port: "8000:8080", remoteCidr: "10.0.0.5/32" }] };
        const news = await checked(more);
        assert.deepEqual(await p().diff("x", outs, news), { changes: true, replaces: [], deleteBeforeReplace: false });
        outs = (await p().update(`${HOST}/sg/${PORT_ID}`, outs, news)).outs;
        assert.ok(ruleSpecs(`dvrl-i-${PORT_ID}`).includes(`-A dvrl-i-${PORT_ID} -s 10.0.0.5/32 -p udp -m udp --dport 8000:8080 -j ACCEPT`));
        assert.equal(ruleSpecs("FORWARD").filter((l) => l.includes(PORT_ID)).length, 2);
        const r = await p().read("x", outs);
        assert.deepEqual(r.inputs.ingress, news.ingress);
        assert.deepEqual(await p().diff("x", r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("a CIDR with host bits and a one-port range are stored as iptables prints them: no drift after", async () => {
        const odd = { ...inputs, ingress: [...ingress, { protocol: "udp", port: "0053:0053", remoteCidr: "10.1.2.3/16" }] };
        const news = await checked(odd);
        outs = (await p().update("x", outs, news)).outs;
        assert.ok(ruleSpecs(`dvrl-i-${PORT_ID}`).includes(`-A dvrl-i-${PORT_ID} -s 10.1.0.0/16 -p udp -m udp --dport 53 -j ACCEPT`));
        const r = await p().read("x", outs);
        assert.deepEqual(await p().diff("x", r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(r.inputs.ingress[r.inputs.ingress.length - 1], { protocol: "udp", port: 53, remoteCidr: "10.1.0.0/16" });
    });

    it("a rule deleted by hand is drift that read shows; update puts it back", async () => {
        hostCheck(HOST, 'iptables -w -D "$1" -p icmp -j ACCEPT', `dvrl-i-${PORT_ID}`);
        const r = await p().read("x", outs);
        assert.deepEqual(
            r.inputs.ingress.map((x: any) => x.protocol),
            ["tcp", "udp"],
        );
        assert.equal(r.inputs.enforcement, "enforced");
        const news = await checked({ ...inputs, ingress: outs.ingress });
        assert.equal((await p().diff("x", r.props, news)).changes, true);
        outs = (await p().update("x", r.props, news)).outs;
        assert.deepEqual((await p().read("x", outs)).inputs.ingress, outs.ingress);
    });

    it("a FORWARD jump deleted by hand is reported broken; update repairs it", async () => {
        const jump = ruleSpecs("FORWARD").find((l) => l.includes(`--physdev-out ${TAP} `))!;
        hostCheck(HOST, `iptables -w ${jump.replace(/^-A /, "-D ")}`);
        const r = await p().read("x", outs);
        assert.match(r.inputs.enforcement, /^broken: FORWARD jump missing/);
        const news = await checked({ ...inputs, ingress: outs.ingress });
        assert.equal((await p().diff("x", r.props, news)).changes, true);
        outs = (await p().update("x", r.props, news)).outs;
        assert.equal(ruleSpecs("FORWARD").filter((l) => l.includes(PORT_ID)).length, 2);
        assert.equal((await p().read("x", outs)).inputs.enforcement, "enforced");
    });

    it("egress rules update in place and read back; the DHCP-server DROP deleted by hand is reported broken and repaired", async () => {
        const news = await checked({
            ...inputs,
            ingress: outs.ingress,
            egress: [{ protocol: "udp", port: 53, remoteCidr: "10.0.0.0/8" }, { protocol: "icmp" }],
        });
        outs = (await p().update("x", outs, news)).outs;
        const egress = ruleSpecs(`dvrl-o-${PORT_ID}`);
        assert.deepEqual(egress.slice(6), [
            `-A dvrl-o-${PORT_ID} -d 10.0.0.0/8 -p udp -m udp --dport 53 -j ACCEPT`,
            `-A dvrl-o-${PORT_ID} -p icmp -j ACCEPT`,
            `-A dvrl-o-${PORT_ID} -m state --state INVALID -j DROP`,
            `-A dvrl-o-${PORT_ID} -j DROP`,
        ]);
        let r = await p().read("x", outs);
        assert.deepEqual(r.inputs.egress, [
            { protocol: "udp", port: 53, remoteCidr: "10.0.0.0/8" },
            { protocol: "icmp", remoteCidr: "0.0.0.0/0" },
        ]);
        assert.deepEqual(await p().diff("x", r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
        hostCheck(HOST, 'iptables -w -D "$1" -p udp -m udp --sport 67 --dport 68 -j DROP', `dvrl-o-${PORT_ID}`);
        r = await p().read("x", outs);
        assert.equal(r.inputs.enforcement, "broken: egress chain missing or edited by hand");
        assert.equal((await p().diff("x", r.props, news)).changes, true);
        outs = (await p().update("x", r.props, news)).outs;
        assert.ok(ruleSpecs(`dvrl-o-${PORT_ID}`).includes(`-A dvrl-o-${PORT_ID} -p udp -m udp --sport 67 --dport 68 -j DROP`));
        assert.equal((await p().read("x", outs)).inputs.enforcement, "enforced");
    });

    it("a source pair changed by hand is read as the host's (diff shows ip and mac); update restores the port's own", async () => {
        hostCheck(HOST, 'iptables -w -R "$1" 1 -s 192.168.10.9/32 -m mac --mac-source fa:16:3e:00:00:09 -j RETURN', `dvrl-s-${PORT_ID}`);
        const r = await p().read("x", outs);
        assert.equal(r.inputs.ip, "192.168.10.9");
        assert.equal(r.inputs.mac, "fa:16:3e:00:00:09");
        const news = await checked({ ...inputs, ingress: outs.ingress, egress: outs.egress });
        assert.equal((await p().diff("x", r.props, news)).changes, true);
        outs = (await p().update("x", r.props, news)).outs;
        assert.deepEqual(ruleSpecs(`dvrl-s-${PORT_ID}`)[1], `-A dvrl-s-${PORT_ID} -s 192.168.10.168/32 -m mac --mac-source fa:16:3e:ff:aa:66 -j RETURN`);
        const back = await p().read("x", outs);
        assert.equal(back.inputs.enforcement, "enforced");
        assert.deepEqual(await p().diff("x", back.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("delete removes jumps and chains; again is fine; nothing of ours left in iptables-save", async () => {
        await p().delete("x", outs);
        assert.deepEqual(ours(), []);
        await p().delete("x", outs);
        assert.deepEqual(ours(), []);
        assert.deepEqual(await p().read("x", outs), {});
    });

    it("create after a lost state finds its own chains by their FORWARD comment and rewrites them (no duplicate jump)", async () => {
        await p().create(await checked(inputs));
        await p().create(await checked(inputs));
        assert.equal(ours().filter((l) => l.startsWith("-A FORWARD")).length, 2, "two jumps, not four");
        await p().delete("x", outs);
        assert.deepEqual(ours(), []);
    });

    it("a chain of its name that dvrlab did not make (no FORWARD comment) is refused, naming host and chain, and left alone", async () => {
        hostCheck(HOST, 'iptables -w -N "dvrl-i-$1" && iptables -w -A "dvrl-i-$1" -j ACCEPT', PORT_ID);
        await assert.rejects(p().create(await checked(inputs)), {
            message:
                `SecurityGroup ${PORT_ID} on root@${HOST}:22: chain dvrl-i-${PORT_ID}: exists and dvrlab did not create it (no FORWARD jump with comment dvrlab-sg-${PORT_ID}); ` +
                `dvrlab does not take it over: remove it (iptables -F dvrl-i-${PORT_ID}; iptables -X dvrl-i-${PORT_ID}) or use another port id`,
        });
        assert.deepEqual(ours(), [`:dvrl-i-${PORT_ID} - [0:0]`, `-A dvrl-i-${PORT_ID} -j ACCEPT`]);
        hostCheck(HOST, 'iptables -w -F "dvrl-i-$1" && iptables -w -X "dvrl-i-$1"', PORT_ID);
    });
});
