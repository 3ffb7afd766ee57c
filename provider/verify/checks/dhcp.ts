// Every VM holds the address its DHCP lease gives it (read inside the guest).
import { waitForAgent, guestExec } from "../../guest/channel";
import { bridgesOf, dhcpTrace } from "../plan";
import { sleep } from "../context";
import { defineCheck, PHASE } from "./check";

export const dhcp = defineCheck<{ kind: "dhcp"; name: string; vm: string }>({
    kind: "dhcp",
    title: "every VM holds its DHCP address (eth0 inside the guest, and its lease file)",
    needs: ["machines", "networks"],
    phase: PHASE.leases,
    lane: (c) => c.vm, // all guests at once
    // Namespace guests are addressed statically (they have no DHCP client of their own).
    plan: (o) => o.machines.filter((vm) => vm.kind !== "netns").map((vm) => ({ kind: "dhcp", name: `${vm.id} holds ${vm.ip} from DHCP`, vm: vm.id })),
    async run(ctx, c) {
        const vm = ctx.machine(c.vm);
        const net = ctx.network(vm.network);
        const sock = ctx.guestSocket(vm);
        await waitForAgent(sock, ctx.leaseWaitMs);
        // Right after `up` a guest may still be booting: give it the time a lease takes (bounded).
        const end = Date.now() + ctx.leaseWaitMs;
        let addr = "";
        for (;;) {
            addr = (await guestExec(sock, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])).stdout.trim();
            if (addr.includes(`inet ${vm.ip}/${net.prefix} `) || Date.now() > end) break;
            await sleep(250);
        }
        const lease = (await guestExec(sock, ["cat", "/run/dvrlab-lease"])).stdout.trim();
        const pass = addr.includes(`inet ${vm.ip}/${net.prefix} `);
        return {
            pass,
            evidence: [`in ${vm.id} (on ${vm.host}): ${addr.replace(/\\\s+/g, " ") || "eth0 has no IPv4 address"}`, `lease: ${lease || "(none)"}`],
            trace: pass ? undefined : await ctx.trace(dhcpTrace(vm, bridgesOf(ctx.o, vm.host).int)),
        };
    },
});
