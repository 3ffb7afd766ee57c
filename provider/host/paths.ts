// Where dvrlab keeps its files on a host (pure). Shared by the kinds that write there and read
// each other's files: DhcpServer runs dnsmasq on a network's files, DhcpLease edits them.

/** dvrlab's own state directory on a host. */
export const STATE_DIR = "/var/lib/dvrlab";

/** Where a network's dnsmasq keeps its files on the host (DhcpLease edits host and addn_hosts there). */
export function dhcpDir(network: string): string {
    return `${STATE_DIR}/dhcp/${network}`;
}

export function dhcpFiles(network: string) {
    const dir = dhcpDir(network);
    return {
        dir,
        hosts: `${dir}/host`,
        addnHosts: `${dir}/addn_hosts`,
        leases: `${dir}/leases`,
        pid: `${dir}/pid`,
        log: `${dir}/dnsmasq.log`,
        err: `${dir}/dnsmasq.err`,
        owner: `${dir}/owner`,
        lock: `${dir}/lock`,
    };
}
