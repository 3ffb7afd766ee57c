// bench:mode dvrlab: the DVR stack's components (DvrHost, TunnelMesh, DhcpAgent, VmPort) with a
// NetnsGuest per VM instead of a libvirt domain (or LibvirtDomain with bench:vms=libvirt).
// bench:mode commands: the seed's hand commands (bench/dvr/plan.ts), one RemoteCommandEmulation
// (remote.Command's behaviour, see bench/dvr/remoteCommand.ts) per command, chained by dependsOn.
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { NetnsGuest } from "../../../provider";
import { parseTopology, resolve } from "../../../provider/network/topology";
import { DhcpAgent } from "../../../provider/network/dhcpAgent";
import { DvrHost } from "../../../provider/network/dvrHost";
import { TunnelMesh } from "../../../provider/network/tunnelMesh";
import { VmPort } from "../../../provider/network/vmPort";
import { GuestImage } from "../../../provider/network/guestImage";
import { vmDomain } from "../../../provider/network/vmDomain";
import { loadGuestManifest } from "../../../stacks/dvr/guest";
import { guestNamespace, Chain } from "../../dvr/plan";
import { RemoteCommandEmulation } from "../../dvr/remoteCommand";

const bench = new pulumi.Config("bench");
const mode = bench.get("mode") ?? "dvrlab";
const topology = parseTopology(new pulumi.Config("dvrlab").requireObject("topology"));
const plan = resolve(topology);

if (mode === "dvrlab") {
    const dvrHosts = new Map(plan.hosts.map((h) => [h.name, new DvrHost(h.name, { host: h, networks: plan.networks })]));
    new TunnelMesh("mesh", { plan, dvrHosts });
    const dhcp = new DhcpAgent("dhcp-agent", { plan, dvrHost: dvrHosts.get(plan.dhcpHost)! });
    const libvirt = bench.get("vms") === "libvirt";
    const manifest = libvirt ? loadGuestManifest(topology.guestManifest) : undefined;
    const images = new Map<string, GuestImage>();
    for (const vm of plan.vms) {
        const host = plan.hosts.find((h) => h.name === vm.host)!;
        const port = new VmPort(vm.id, { vm, host, dvrHost: dvrHosts.get(vm.host)! });
        const after = { dependsOn: [port, dhcp.leases.get(vm.id)!] };
        if (!libvirt) {
            const prefix = plan.networks.find((n) => n.name === vm.network)!.prefix;
            new NetnsGuest(
                vm.id,
                { connection: host.connection, name: guestNamespace(vm.id), tap: vm.tap, bridge: port.qbr.name, mac: vm.mac, address: `${vm.ip}/${prefix}` },
                after,
            );
        } else {
            if (!images.has(vm.host)) images.set(vm.host, new GuestImage(`${vm.host}-guest`, { host, manifest: manifest! }));
            const image = images.get(vm.host)!;
            vmDomain(vm, host, port, image, manifest!, after);
        }
    }
} else {
    const chains: Chain[] = JSON.parse(fs.readFileSync(bench.require("steps"), "utf8"));
    const privateKey = pulumi.secret(fs.readFileSync(bench.require("keyFile"), "utf8"));
    const last = new Map<string, RemoteCommandEmulation>();
    for (const c of chains) {
        const conn = plan.hosts.find((h) => h.name === c.host)!.connection;
        let prev: pulumi.Resource[] = c.after.map((k) => last.get(k)!);
        c.steps.forEach((s, i) => {
            const r = new RemoteCommandEmulation(
                `${c.key}-${i}`,
                { connection: { host: conn.host, port: conn.port, user: conn.user, privateKey }, create: s.cmd },
                { dependsOn: prev },
            );
            prev = [r];
            last.set(c.key, r);
        });
    }
}
