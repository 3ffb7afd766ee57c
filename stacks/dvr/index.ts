// The dev stack: the seed's network on the hosts named in config (the local lab by default), as a
// user program would build it: config → DvrNetwork. The lab's guest image is built here (lab/), not
// in the package.
import * as pulumi from "@pulumi/pulumi";
import { DvrNetwork, parseTopology, TopologyInput } from "../../provider";
import { loadGuestManifest } from "./guest";

const config = new pulumi.Config("dvrlab");
const raw = config.requireObject<TopologyInput>("topology");
const topology = parseTopology(raw);
const needsImage = topology.vms.some((v) => v.kind === "libvirt");

// aliasFromStackRoot: this stack's states predate DvrNetwork (its children were top-level then).
const net = new DvrNetwork("dvr", {
    topology: raw,
    guestManifest: needsImage ? loadGuestManifest(topology.guestManifest) : undefined,
    aliasFromStackRoot: true,
});

/** What `npm run verify` needs to find everything (no secrets). */
export const hosts = net.hosts;
export const networks = net.networks;
export const router = net.router;
export const dhcpServers = net.dhcpServers;
export const machines = net.machines;
