// A certificate authority made fresh for each process that runs simulated worlds, and leaf certificates for the
// real host names the worlds answer for. Clients trust the CA through supported options only.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import * as x509 from "@peculiar/x509";

type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;
}

export interface SimCa {
  /** PEM of the CA certificate: what clients must trust. */
  caPem: string;
  /** A certificate and key valid for the given host names (cached per name). */
  leafFor(hostname: string): Promise<{ cert: string; key: string }>;
  /** The server's TLS context for the host name (cached per name: Node parses the key and chain for each one). */
  contextFor(hostname: string): Promise<SecureContext>;
}

let shared: Promise<SimCa> | undefined;

/**
 * The CA the worlds of this process share: each world still has its own port, issuer and state, but the CA, its
 * leaf certificates and their TLS contexts are made once (a test run starts hundreds of worlds).
 */
export function sharedSimCa(): Promise<SimCa> {
  shared ??= createSimCa();
  return shared;
}

export async function createSimCa(): Promise<SimCa> {
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const now = new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + 7 * 24 * 3600_000);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=wi-doctor simulated world CA",
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const leafKeyPem = pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
  const cache = new Map<string, Promise<{ cert: string; key: string }>>();
  const contexts = new Map<string, Promise<SecureContext>>();
  let serial = 2;

  async function issue(hostname: string) {
    const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(hostname);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, "0"),
      subject: `CN=${hostname}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: alg,
      publicKey: leafKeys.publicKey as never,
      signingKey: (caKeys as CryptoKeyPair).privateKey as never,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          isIp ? { type: "ip", value: hostname } : { type: "dns", value: hostname },
        ]),
      ],
    });
    return { cert: cert.toString("pem"), key: leafKeyPem };
  }

  const ca: SimCa = {
    caPem: caCert.toString("pem"),
    leafFor(hostname: string) {
      const name = hostname.toLowerCase();
      let entry = cache.get(name);
      if (!entry) {
        entry = issue(name);
        cache.set(name, entry);
      }
      return entry;
    },
    contextFor(hostname: string) {
      const name = hostname.toLowerCase();
      let entry = contexts.get(name);
      if (!entry) {
        entry = ca.leafFor(name).then((leaf) => createSecureContext(leaf));
        contexts.set(name, entry);
      }
      return entry;
    },
  };
  return ca;
}
