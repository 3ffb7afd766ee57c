import { Argv } from "../ssh/quote";
import { dhcpFiles } from "../host/paths";
import { DhcpLeaseSpec } from "./schema";

type Lease = Pick<DhcpLeaseSpec, "mac" | "hostname" | "ip">;

/** The seed's two lines: `MAC,host-name,IP` in the hosts file and `IP host-name` in addn_hosts. */
export const hostsLine = (l: Lease) => `${l.mac},${l.hostname},${l.ip}`;
export const addnLine = (l: Lease) => `${l.ip} ${l.hostname}`;

/** Exit status of the edit script when the MAC, IP or name is taken by another lease. */
export const CONFLICT_EXIT = 6;
export const NO_SERVER_EXIT = 3;

/**
 * One locked, atomic edit of both files, then SIGHUP to the network's dnsmasq:
 *   set:    remove the old lease's lines (if given), refuse a MAC/IP/name held by another line,
 *           add ours if missing;
 *   delete: remove exactly our lines.
 * Every value arrives as a positional argument (validated before); the files are rewritten through
 * a temp file and rename under flock, so parallel edits neither lose lines nor tear a file.
 */
const EDIT_SCRIPT = [
    "set -u",
    "op=$1; dir=$2; mac=$3; name=$4; ip=$5; omac=$6; oname=$7; oip=$8",
    "h=$dir/host; a=$dir/addn_hosts; pidf=$dir/pid",
    'if [ ! -d "$dir" ]; then',
    `  if [ "$op" = delete ]; then exit 0; fi`,
    `  echo "no DHCP server files in $dir: create the DhcpServer for this network first" >&2; exit ${NO_SERVER_EXIT}`,
    "fi",
    'exec 9>>"$dir/lock"',
    'flock -w 60 9 || { echo "timed out waiting for $dir/lock" >&2; exit 4; }',
    "umask 022",
    'touch "$h" "$a" || exit 5',
    // grep -v exits 1 when nothing is left: that is success here
    'strip() { if [ -n "$2" ]; then grep -vxF -e "$2" "$1" >"$1.tmp"; [ $? -le 1 ] || exit 5; else cp "$1" "$1.tmp" || exit 5; fi; }',
    'if [ "$op" = delete ]; then strip "$h" "$mac,$name,$ip"; strip "$a" "$ip $name";',
    'elif [ -n "$omac" ]; then strip "$h" "$omac,$oname,$oip"; strip "$a" "$oip $oname";',
    'else strip "$h" ""; strip "$a" ""; fi',
    'if [ "$op" = set ]; then',
    '  hl="$mac,$name,$ip"; al="$ip $name"',
    '  c=$(awk -F, -v m="$mac" -v n="$name" -v i="$ip" -v l="$hl" \'tolower($0) != l && (tolower($1) == m || $2 == n || $3 == i) { print FILENAME ": " $0 }\' "$h.tmp")',
    '  c2=$(awk -v n="$name" -v i="$ip" -v l="$al" \'$0 != l && $1 !~ /^#/ { hit = ($1 == i); for (k = 2; k <= NF; k++) if ($k == n) hit = 1; if (hit) print FILENAME ": " $0 }\' "$a.tmp")',
    '  if [ -n "$c$c2" ]; then rm -f "$h.tmp" "$a.tmp"; printf "%s\\n%s\\n" "$c" "$c2" | sed -e "/^$/d" -e "s/\\.tmp: /: /" >&2; ' +
        `exit ${CONFLICT_EXIT}; fi`,
    '  grep -qxF -e "$hl" "$h.tmp" || printf "%s\\n" "$hl" >>"$h.tmp" || exit 5',
    '  grep -qxF -e "$al" "$a.tmp" || printf "%s\\n" "$al" >>"$a.tmp" || exit 5',
    "fi",
    // nothing changed: leave the files and dnsmasq alone
    'if cmp -s "$h" "$h.tmp" && cmp -s "$a" "$a.tmp"; then rm -f "$h.tmp" "$a.tmp"; exit 0; fi',
    'mv -f "$h.tmp" "$h" && mv -f "$a.tmp" "$a" || exit 5',
    'pid=$(cat "$pidf" 2>/dev/null) || pid=',
    'case $pid in ""|*[!0-9]*) exit 0;; esac',
    // only our dnsmasq (its argv names this pid file); none running is fine: it reads the files at start
    'if [ -r "/proc/$pid/cmdline" ] && tr "\\0" "\\n" <"/proc/$pid/cmdline" | grep -qxF -- "--pid-file=$pidf"; then kill -HUP "$pid"; fi',
    "exit 0",
].join("\n");

/** The edit script on a given directory (planSet/planDelete use the network's; tests run it on a temp dir). */
export function editArgv(dir: string, op: "set" | "delete", l: Lease, old?: Lease): Argv {
    return ["sh", "-c", EDIT_SCRIPT, "sh", op, dir, l.mac, l.hostname, l.ip, old?.mac ?? "", old?.hostname ?? "", old?.ip ?? ""];
}

export const planSet = (network: string, l: Lease, old?: Lease): Argv => editArgv(dhcpFiles(network).dir, "set", l, old);
export const planDelete = (network: string, l: Lease): Argv => editArgv(dhcpFiles(network).dir, "delete", l);

/** The hosts-file lines with our MAC and the addn_hosts lines with our IP or name. */
export const showLease = (network: string, l: Lease): Argv => [
    "sh",
    "-c",
    [
        "dir=$1; mac=$2; name=$3; ip=$4",
        'if [ ! -f "$dir/host" ]; then echo @@nofiles; exit 0; fi',
        'echo @@host; awk -F, -v m="$mac" \'tolower($1) == m\' "$dir/host"',
        'echo @@addn; awk -v i="$ip" -v n="$name" \'$1 == i || $2 == n\' "$dir/addn_hosts" 2>/dev/null',
        "exit 0",
    ].join("\n"),
    "sh",
    dhcpFiles(network).dir,
    l.mac,
    l.hostname,
    l.ip,
];

/**
 * The lease as the files have it: the hosts line with our MAC gives name and IP; the lease counts as
 * present only if addn_hosts has the matching `IP name` line too (a half lease is repaired by create).
 */
export function parseLease(out: string, olds: DhcpLeaseSpec): DhcpLeaseSpec | undefined {
    if (/^@@nofiles$/m.test(out)) return undefined;
    const host = out.slice(out.indexOf("@@host\n") + 7, out.indexOf("@@addn\n"));
    const addn = out.slice(out.indexOf("@@addn\n") + 7);
    const lines = host.split("\n").filter((x) => x.trim());
    // Prefer our exact line if several lines carry the MAC.
    const line = lines.find((x) => x === hostsLine(olds)) ?? lines[0];
    if (!line) return undefined;
    const [m, hostname, ip] = line.split(",");
    const want = addnLine({ mac: m, hostname, ip });
    if (!addn.split("\n").some((x) => x.trim().split(/\s+/).join(" ") === want)) return undefined;
    return { ...olds, mac: m.toLowerCase(), hostname, ip };
}
