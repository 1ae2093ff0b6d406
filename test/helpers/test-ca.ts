import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = (args: string[], cwd: string): Promise<unknown> => promisify(execFile)('openssl', args, { cwd });

/** PEM files of a throwaway CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed neither. */
  otherCa: string;
}

/** Makes a test CA with openssl, in `dir`. */
/** openssl req: a new P-256 key, unencrypted. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeTestPki(dir: string): Promise<TestPki> {
  const run = (...args: string[]): Promise<unknown> => openssl(args, dir);
  const leaf = async (name: string, subject: string, ext: string): Promise<void> => {
    await writeFile(join(dir, `${name}.ext`), ext);
    await run('req', '-new', ...NEW_EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    );
  };
  for (const ca of ['ca', 'other-ca']) {
    await run('req', '-x509', ...NEW_EC_KEY, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=rotad test ${ca}`);
  }
  await leaf('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await leaf('client', '/CN=ops-laptop', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string): string => join(dir, file);
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.pem'),
  };
}
