// A DNS double on loopback UDP (port 0): answers TXT questions from a table the test fills, in the
// wire format of RFC 1035 (header, question echoed, answers with a name pointer to the question).
// Unknown names answer NXDOMAIN; other record types answer no data. Every question is recorded,
// so a test can check what the resolver asked; a malformed query is recorded as a violation.

import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

const TXT = 16;
const IN = 1;

export interface DnsDouble {
  /** `127.0.0.1:<port>`, for Resolver.setServers and LOCO_DNS_SERVERS. */
  server: string;
  setTxt(name: string, values: string[]): void;
  questions: { name: string; type: number }[];
  violations: string[];
  stop(): Promise<void>;
}

function readName(msg: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = start;
  for (;;) {
    const len = msg[i];
    if (len === undefined) throw new Error('name runs past the message');
    if (len === 0) return { name: labels.join('.').toLowerCase(), end: i + 1 };
    if (len > 63) throw new Error('compressed or oversized label in a question');
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
}

function txtRecord(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const part = bytes.subarray(i, i + 255);
    chunks.push(Buffer.from([part.length]), part);
  }
  const rdata = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  head.writeUInt16BE(TXT, 2);
  head.writeUInt16BE(IN, 4);
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

export async function startDnsDouble(): Promise<DnsDouble> {
  const records = new Map<string, string[]>();
  const questions: DnsDouble['questions'] = [];
  const violations: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, peer) => {
    try {
      if (msg.length < 12) throw new Error('shorter than a DNS header');
      if (msg.readUInt16BE(4) !== 1) throw new Error(`qdcount ${msg.readUInt16BE(4)}, expected 1`);
      if (msg.readUInt16BE(2) & 0x8000) throw new Error('a response sent as a query');
      const { name, end } = readName(msg, 12);
      const type = msg.readUInt16BE(end);
      if (msg.readUInt16BE(end + 2) !== IN) throw new Error(`class ${msg.readUInt16BE(end + 2)}, expected IN`);
      questions.push({ name, type });
      const values = records.get(name);
      const answers = values && type === TXT ? values.map(txtRecord) : [];
      const header = Buffer.alloc(12);
      header.writeUInt16BE(msg.readUInt16BE(0), 0);
      // QR, opcode 0, AA, RD copied, RA; rcode 3 (NXDOMAIN) for a name the table lacks
      header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (values ? 0 : 3), 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(answers.length, 6);
      socket.send(Buffer.concat([header, msg.subarray(12, end + 4), ...answers]), peer.port, peer.address);
    } catch (error) {
      violations.push(String((error as Error).message));
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`,
    setTxt: (name, values) => void records.set(name.toLowerCase(), values),
    questions,
    violations,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
