/**
 * A self-signed certificate for localhost and 127.0.0.1, for `npm start -- --https` and the tests
 * that drive the official SDK (whose bearer-token policy refuses plain HTTP). The CA flag lets the
 * certificate trust itself when given as NODE_EXTRA_CA_CERTS or as a request's `ca`.
 */
export interface Certificate {
  key: string;
  cert: string;
}

export async function selfSignedCertificate(validDays: number): Promise<Certificate> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dev-only dependency, loaded when asked for
  const selfsigned = require("selfsigned") as typeof import("selfsigned");
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + validDays * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
