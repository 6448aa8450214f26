// The platform's Sealed Secrets certificate (LOCO_SEALED_SECRETS_CERT), served to the CLI so it
// seals values on the client. Read on each use: the controller renews its key (every 30 days by
// default), and the operator replacing the file should not need an API restart.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LocoError } from '../../generator/errors.ts';

export interface SealingCertificate {
  pem: string;
  /** Bytes of the RSA modulus: the length of the RSA part of every ciphertext sealed with it. */
  modulusBytes: number;
}

export async function readSealingCertificate(path: string | undefined): Promise<SealingCertificate> {
  if (!path) {
    throw new LocoError('unavailable.sealed-secrets', 'this Loco API has no Sealed Secrets certificate: LOCO_SEALED_SECRETS_CERT is not set',
      'ask the platform operator to set LOCO_SEALED_SECRETS_CERT to the PEM file of the cluster\'s certificate (kubeseal --fetch-cert > sealed-secrets.pem) and restart the API');
  }
  let pem: string;
  let cert: X509Certificate;
  try {
    pem = await readFile(path, 'utf8');
    cert = new X509Certificate(pem);
  } catch {
    // the path is the operator's setting, not a secret; the file's text never leaves here
    throw new LocoError('unavailable.sealed-secrets', `LOCO_SEALED_SECRETS_CERT (${path}) is not a readable PEM certificate`,
      'ask the platform operator to point LOCO_SEALED_SECRETS_CERT at the output of kubeseal --fetch-cert');
  }
  const details = cert.publicKey.asymmetricKeyDetails;
  if (cert.publicKey.asymmetricKeyType !== 'rsa' || !details?.modulusLength) {
    throw new LocoError('unavailable.sealed-secrets', `LOCO_SEALED_SECRETS_CERT (${path}) does not hold an RSA certificate`, 'Sealed Secrets certificates are RSA: use the output of kubeseal --fetch-cert');
  }
  return { pem: cert.toString(), modulusBytes: details.modulusLength / 8 };
}

/**
 * Why `ciphertext` (base64) is not kubeseal's format for this certificate, or undefined: 2-byte
 * big-endian length of the RSA part, the RSA part (modulus-sized), then AES-GCM output (≥ 16-byte
 * tag). A value sent in plain text by mistake fails this and is refused, not committed.
 */
export function ciphertextProblem(ciphertext: string, cert: SealingCertificate): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(ciphertext) || ciphertext.length % 4 !== 0) return 'is not base64';
  const bytes = Buffer.from(ciphertext, 'base64');
  if (bytes.length < 2) return 'is too short to be sealed';
  const rsaLength = bytes.readUInt16BE(0);
  if (rsaLength !== cert.modulusBytes) return `was not sealed with the platform's certificate (RSA part of ${rsaLength} bytes, the certificate's is ${cert.modulusBytes})`;
  if (bytes.length < 2 + rsaLength + 16) return 'is too short to be sealed';
  return undefined;
}
