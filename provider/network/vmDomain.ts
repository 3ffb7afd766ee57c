// A VM's libvirt domain on its host: the guest image's kernel/initrd, an overlay on its base disk,
// the tap in the VM's qbr (the seed's order: the bridge exists before the domain starts).
import * as pulumi from "@pulumi/pulumi";
import { LibvirtDomain } from "../libvirtDomain/resource";
import type { GuestManifest } from "../guest/manifest";
import type { ResolvedHost, ResolvedVm } from "./topology";
import type { GuestImage } from "./guestImage";
import type { VmPort } from "./vmPort";

export function vmDomain(
    vm: ResolvedVm,
    host: ResolvedHost,
    port: VmPort,
    image: GuestImage,
    manifest: GuestManifest,
    opts?: pulumi.CustomResourceOptions,
): LibvirtDomain {
    return new LibvirtDomain(
        vm.id,
        {
            connection: host.connection,
            name: vm.domain,
            memoryMiB: vm.memoryMiB ?? manifest.minMemoryMiB,
            boot: { kernel: image.kernel, initrd: image.initrd, cmdline: manifest.cmdline },
            disk: { base: image.base },
            interfaces: [{ bridge: port.qbr.name, tap: vm.tap, mac: vm.mac }],
        },
        opts,
    );
}
