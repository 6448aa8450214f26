// The grammar of one [Network] Egress entry, shared by validation and rendering.

import { isIP } from 'node:net';

export type EgressTarget =
  | { kind: 'cidr'; cidr: string; port?: number; protocol: 'TCP' | 'UDP' }
  | { kind: 'host'; host: string; port?: number; protocol: 'TCP' | 'UDP' };

const HOST = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** One Egress entry: `10.0.0.0/8:5432`, `10.1.2.3`, `[2001:db8::/32]:443`, `api.stripe.com:443`, `*.example.com`, `…:53/udp`. */
export function parseEgressEntry(entry: string): EgressTarget | [string, string] {
  const fix = 'write "<CIDR or IP>[:port][/udp]" or "<host name>[:port][/udp]", e.g. "10.0.0.0/8:5432" or "api.stripe.com:443"';
  let rest = entry.trim().toLowerCase();
  let protocol: 'TCP' | 'UDP' = 'TCP';
  const proto = /\/(tcp|udp)$/.exec(rest);
  if (proto && /:\d+\/(tcp|udp)$/.test(rest)) {
    protocol = proto[1].toUpperCase() as 'TCP' | 'UDP';
    rest = rest.slice(0, -proto[0].length);
  }
  let address = rest;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    address = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (!rest.includes('::') && /:(\d+)$/.test(rest)) {
    const i = rest.lastIndexOf(':');
    address = rest.slice(0, i);
    port = Number(rest.slice(i + 1));
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) return [`"${entry}": port ${port} is out of range`, 'ports are 1-65535'];
  const [ip, prefix, more] = address.split('/');
  if (isIP(ip) && more === undefined) {
    const max = isIP(ip) === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : Number(prefix);
    if (!/^\d+$/.test(prefix ?? String(max)) || bits > max) return [`"${entry}": /${prefix} is not a prefix length of ${isIP(ip) === 4 ? 'IPv4' : 'IPv6'}`, fix];
    return { kind: 'cidr', cidr: `${ip}/${bits}`, ...(port !== undefined ? { port } : {}), protocol };
  }
  if (HOST.test(address) && address.length <= 253) return { kind: 'host', host: address, ...(port !== undefined ? { port } : {}), protocol };
  return [`"${entry}" is neither an IP range nor a host name`, fix];
}

/** Network.Egress as a whole: "*" alone, or entries that each parse. */
export function checkEgress(entries: string[]): [string, string] | undefined {
  if (entries.includes('*')) return entries.length === 1 ? undefined : ['"*" (any destination) cannot be combined with other entries', 'keep Egress = ["*"] for open egress, or list only what the app needs'];
  for (const entry of entries) {
    const t = parseEgressEntry(entry);
    if (Array.isArray(t)) return t;
  }
  return undefined;
}
