import { z } from "zod";
import { connection, ifName, owner } from "../core/schema";

const end = z
    .object({
        /**
         * The PROMISC flag, managed only when set: unset leaves it to others and is not read back
         * as drift (OVS's userspace datapath turns it on on a port it reads, e.g. the qvo end).
         */
        promisc: z.boolean().optional(),
        /** A Linux bridge to enslave this end to (the seed's qvb in qbr). */
        master: ifName.optional(),
    })
    .strict();

export const vethPairSchema = z
    .object({
        connection,
        owner,
        /** The end that goes into the Linux bridge (qvb-<id>). */
        name: ifName,
        /** The end that goes into OVS (qvo-<id>). */
        peer: ifName,
        mtu: z.number().int().min(68).max(65535).optional(),
        up: z.boolean().default(true),
        nameEnd: end.default({}),
        peerEnd: end.default({}),
        /**
         * TX checksum offload on both ends. OVS's userspace datapath reads veths with AF_PACKET and
         * forwards unfinished checksums, so it must be off there; unset = off on hosts without the
         * kernel datapath, on otherwise.
         */
        txChecksum: z.boolean().optional(),
    })
    .refine((v) => v.name !== v.peer, { message: "peer must differ from name", path: ["peer"] });

export type VethPairArgs = z.input<typeof vethPairSchema>;
export type VethPairSpec = z.output<typeof vethPairSchema>;

/** Host-decided when not given: checksum offload (off on hosts without the kernel datapath). */
export const vethPairOutputs = z.object({ txChecksum: z.boolean().optional() });
