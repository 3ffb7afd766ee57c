import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface LibvirtDomainInterfaceArgs {
    /** A Linux bridge that exists before the domain starts: pass a LinuxBridge's `name` output. */
    bridge: pulumi.Input<string>;
    tap: pulumi.Input<string>;
    mac: pulumi.Input<string>;
    model?: pulumi.Input<"virtio" | "e1000" | "rtl8139">;
}

export interface LibvirtDomainResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    name: pulumi.Input<string>;
    memoryMiB: pulumi.Input<number>;
    vcpus?: pulumi.Input<number>;
    /** Unset: kvm when the host's libvirt offers it, else qemu (TCG). */
    domainType?: pulumi.Input<"kvm" | "qemu">;
    boot?: pulumi.Input<{ kernel?: pulumi.Input<string>; initrd?: pulumi.Input<string>; cmdline?: pulumi.Input<string> }>;
    disk?: pulumi.Input<{
        base: pulumi.Input<string>;
        baseFormat?: pulumi.Input<"qcow2" | "raw">;
        from?: pulumi.Input<"overlay" | "convert">;
        path?: pulumi.Input<string>;
    }>;
    interfaces?: pulumi.Input<pulumi.Input<LibvirtDomainInterfaceArgs>[]>;
    channelSocket?: pulumi.Input<string>;
    consoleLog?: pulumi.Input<string>;
    running?: pulumi.Input<boolean>;
}

/**
 * A libvirt domain (the seed's cirros VM): its own qcow2 overlay on a base image, taps on Linux
 * bridges, a console log and a command-channel socket. The bridges must exist first: pass their
 * `name` outputs (or `dependsOn`) so Pulumi orders them.
 */
export class LibvirtDomain extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly domainType: pulumi.Output<"kvm" | "qemu">;
    declare readonly uuid: pulumi.Output<string>;
    declare readonly diskPath: pulumi.Output<string | undefined>;
    declare readonly diskCreated: pulumi.Output<boolean>;
    declare readonly channelSocketPath: pulumi.Output<string>;
    declare readonly consoleLogPath: pulumi.Output<string>;
    declare readonly state: pulumi.Output<string>;
    declare readonly running: pulumi.Output<boolean>;

    constructor(name: string, args: LibvirtDomainResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("LibvirtDomain",
            name,
            {
                owner: stackOwner(),
                domainType: undefined,
                uuid: undefined,
                diskPath: undefined,
                diskCreated: undefined,
                channelSocketPath: undefined,
                consoleLogPath: undefined,
                state: undefined,
                ...args,
            },
            opts);
    }
}
