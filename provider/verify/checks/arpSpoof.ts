// ARP anti-spoofing (br-int table 24): a VM's ARP reply claiming an address that is not its own
// is dropped, its real one passes; read from the flows' packet counters.
import { arpTrace, bridgesOf, Machine, packetsOf, spoofAddress } from "../plan";
import { sleep } from "../context";
import { defineCheck, PHASE, VerifyContext } from "./check";

export const arpSpoof = defineCheck<{ kind: "arp-spoof"; name: string; vm: string; spoofedIp: string }>({
    kind: "arp-spoof",
    title: "per VM, a spoofed ARP reply is dropped at br-int table 24 and its real one passes (flow counters)",
    needs: ["machines", "networks"],
    phase: PHASE.counters,
    lane: () => "table 24", // one at a time: the drop counter is shared by a host's VMs
    plan: (o) =>
        o.machines.map((vm) => {
            const spoofedIp = spoofAddress(o, vm);
            return {
                kind: "arp-spoof",
                name: `${vm.id}: ARP reply claiming ${spoofedIp} dropped at br-int table 24, its real one passes`,
                vm: vm.id,
                spoofedIp,
            };
        }),
    async run(ctx, c) {
        const vm = ctx.machine(c.vm);
        const brInt = bridgesOf(ctx.o, vm.host).int;
        const dump = async () => (await ctx.host(vm.host, ["ovs-ofctl", "dump-flows", brInt, "table=24"])).stdout;
        const drop = (d: string) => packetsOf(d, ["priority=0", "actions=drop"]) ?? NaN;
        const allow = (d: string) => packetsOf(d, [`in_port=${vm.ofport},`, `arp_spa=${vm.ip} `]) ?? NaN;
        const argv = await arpReplyArgv(ctx, vm);
        const arping = (ip: string) => ctx.guest(vm, argv(ip));
        // The attack: claim an unused address of the subnet (busybox arping must bind it, so it is added for the moment).
        const d0 = await dump();
        await ctx.guest(vm, ["ip", "addr", "add", `${c.spoofedIp}/32`, "dev", "eth0"]);
        let spoof;
        try {
            spoof = await arping(c.spoofedIp);
        } finally {
            await ctx.guest(vm, ["ip", "addr", "del", `${c.spoofedIp}/32`, "dev", "eth0"]);
        }
        // OVS credits datapath hits to flows when its revalidator runs (every ~0.5 s): poll until they show.
        const settle = async (ok: (d: string) => boolean) => {
            let d = await dump();
            for (const end = Date.now() + 3000; !ok(d) && Date.now() < end; d = await dump()) await sleep(200);
            return d;
        };
        const d1 = await settle((d) => drop(d) - drop(d0) >= 2);
        const real = await arping(vm.ip);
        const d2 = await settle((d) => allow(d) - allow(d1) >= 2);
        const spoofDropped = drop(d1) - drop(d0);
        const realAllowed = allow(d2) - allow(d1);
        const realDropped = drop(d2) - drop(d1);
        const sent = (r: { stdout: string }) =>
            r.stdout
                .match(/Sent (\d+)|(\d+) packets transmitted/)
                ?.slice(1)
                .find(Boolean) ?? "?";
        const evidence = [
            `spoofed: ${vm.id} sent ${sent(spoof)} ARP replies claiming ${c.spoofedIp}: table 24 drop flow +${spoofDropped}`,
            `real: ${vm.id} sent ${sent(real)} ARP replies claiming ${vm.ip}: table 24 allow flow (in_port=${vm.ofport},arp_spa=${vm.ip}) +${realAllowed}, drop flow +${realDropped}`,
        ];
        const pass = spoofDropped >= 2 && realAllowed >= 2 && realDropped === 0;
        return { pass, evidence, trace: pass ? undefined : await ctx.trace([...arpTrace(vm, c.spoofedIp, brInt), ...arpTrace(vm, vm.ip, brInt)]) };
    },
});

/**
 * Two unsolicited ARP replies claiming `ip` from the guest's eth0. busybox (the lab guest) and
 * iputils spell it `-A -s IP -I IF`; a namespace guest runs its host's arping, which may be Thomas
 * Habets' (Debian's `arping` package), where `-s` is a MAC: `-P -U -S IP -i IF` there.
 */
export async function arpReplyArgv(ctx: VerifyContext, vm: Machine): Promise<(ip: string) => string[]> {
    const habets = vm.kind === "netns" && /Habets/.test(Object.values(await ctx.guest(vm, ["arping", "--help"])).join(" "));
    return habets
        ? (ip) => ["arping", "-P", "-U", "-c", "2", "-S", ip, "-i", "eth0", ip]
        : (ip) => ["arping", "-A", "-c", "2", "-w", "2", "-s", ip, "-I", "eth0", ip];
}
