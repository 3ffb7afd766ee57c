// IP anti-spoofing (the port's source chain dvrl-s-<vm>, Neutron's port security): what a VM sends
// from an address that is not its own is dropped on its host, what it sends from its own passes;
// read from the chain's DROP counter.
import { ruleCounter, spoofAddress } from "../plan";
import { defineCheck, PHASE } from "./check";

export const ipSpoof = defineCheck<{ kind: "ip-spoof"; name: string; vm: string; spoofedIp: string }>({
    kind: "ip-spoof",
    title: "per VM, packets from a spoofed source IP are dropped by its source chain (iptables counter) and those from its own pass",
    needs: ["machines", "networks"],
    phase: PHASE.counters,
    lane: (c) => c.vm, // the counter is the VM's own; arp-spoof claims another address
    plan: (o) =>
        o.machines.map((vm) => {
            const spoofedIp = spoofAddress(o, vm, 1);
            return { kind: "ip-spoof", name: `${vm.id}: echoes from ${spoofedIp} dropped by dvrl-s-${vm.id}, its own pass`, vm: vm.id, spoofedIp };
        }),
    async run(ctx, c) {
        const vm = ctx.machine(c.vm);
        const target = ctx.network(vm.network).dhcpIp;
        const chain = `dvrl-s-${vm.id}`;
        const spec = `-A ${chain} -j DROP`;
        const show = async () => (await ctx.host(vm.host, ["iptables", "-w", "-v", "-S", chain])).stdout;
        const drops = async () => ruleCounter(await show(), spec) ?? NaN;
        // The target's MAC is learnt from the VM's own address first: an ARP request from the spoofed
        // address would be dropped at br-int table 24 and no echo would leave.
        await ctx.guest(vm, ["ping", "-c", "1", "-W", "1", target]);
        const d0 = await drops();
        await ctx.guest(vm, ["ip", "addr", "add", `${c.spoofedIp}/32`, "dev", "eth0"]);
        let spoof;
        try {
            spoof = await ctx.guest(vm, ["ping", "-c", "2", "-W", "1", "-I", c.spoofedIp, target]);
        } finally {
            await ctx.guest(vm, ["ip", "addr", "del", `${c.spoofedIp}/32`, "dev", "eth0"]);
        }
        const d1 = await drops();
        const real = await ctx.guest(vm, ["ping", "-c", "2", "-W", "1", target]);
        const d2 = await drops();
        const summary = (r: { stdout: string; stderr: string }) => (r.stdout.split("\n").find((l) => /packets transmitted/.test(l)) ?? r.stderr.trim()).trim();
        const evidence = [
            `in ${vm.id}: ping -I ${c.spoofedIp} ${target}: ${summary(spoof)}; ${vm.host} ${chain} DROP counter +${d1 - d0}`,
            `in ${vm.id}: ping ${target} from ${vm.ip}: ${summary(real)}; ${chain} DROP counter +${d2 - d1}`,
        ];
        const pass = spoof.code !== 0 && d1 - d0 >= 2 && d2 - d1 === 0;
        return {
            pass,
            evidence,
            trace: pass
                ? undefined
                : [
                      `--- ${vm.host}: iptables -v -S ${chain}`,
                      ...(await show())
                          .trimEnd()
                          .split("\n")
                          .map((l) => `    ${l}`),
                  ],
        };
    },
});
