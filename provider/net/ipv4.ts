// IPv4 arithmetic (pure): addresses as numbers, a CIDR's subnet, membership, usable host addresses.

export function ipToInt(ip: string): number {
    return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
    return [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) % 256).toString()).join(".");
}

export interface Subnet {
    /** The host address given (e.g. the server's 192.168.10.2). */
    address: string;
    prefix: number;
    network: string;
    netmask: string;
    broadcast: string;
}

/** "192.168.10.2/24" → address, network 192.168.10.0, netmask 255.255.255.0, broadcast. */
export function subnetOf(cidr: string): Subnet {
    const [address, p] = cidr.split("/");
    const prefix = Number(p);
    const size = 2 ** (32 - prefix);
    const net = Math.floor(ipToInt(address) / size) * size;
    return {
        address,
        prefix,
        network: intToIp(net),
        netmask: intToIp(2 ** 32 - size),
        broadcast: intToIp(net + size - 1),
    };
}

export function inSubnet(ip: string, s: Subnet): boolean {
    const size = 2 ** (32 - s.prefix);
    return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(s.network) / size);
}

/** A usable host address of the subnet: inside it, not its network or broadcast address. */
export function isHostAddress(ip: string, s: Subnet): boolean {
    return inSubnet(ip, s) && (s.prefix >= 31 || (ip !== s.network && ip !== s.broadcast));
}
