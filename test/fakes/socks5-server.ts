import { once } from 'node:events';
import net from 'node:net';
import { after } from 'node:test';

/**
 * A scripted SOCKS5 server (RFC 1928, RFC 1929 login) that tunnels to 127.0.0.1:
 * it records what each CONNECT asked for and the credentials it was given, and can
 * refuse with a reply code, hang, or send its reply and the server's first bytes in
 * one segment. Closed after the test file.
 */
export interface FakeSocks {
  port: number;
  /** What each CONNECT asked for: [ATYP, address, port]. */
  requests: [number, string, number][];
  credentials: string[];
}

export async function fakeSocks(options: { user?: string; password?: string; reply?: number; hang?: boolean; coalesce?: boolean } = {}): Promise<FakeSocks> {
  const fake: FakeSocks = { port: 0, requests: [], credentials: [] };
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    if (options.hang) return;
    let buffered = Buffer.alloc(0);
    const wait = async (length: number): Promise<Buffer> => {
      while (buffered.length < length) {
        const [chunk] = (await once(client, 'data')) as [Buffer];
        buffered = Buffer.concat([buffered, chunk]);
      }
      const bytes = buffered.subarray(0, length);
      buffered = buffered.subarray(length);
      return bytes;
    };
    try {
      const [, count] = await wait(2);
      const methods = [...(await wait(count!))];
      if (options.user !== undefined) {
        if (!methods.includes(2)) return void client.end(Buffer.from([5, 0xff]));
        client.write(Buffer.from([5, 2]));
        const [, userLength] = await wait(2);
        const user = (await wait(userLength!)).toString();
        const [passwordLength] = await wait(1);
        const password = (await wait(passwordLength!)).toString();
        fake.credentials.push(`${user}:${password}`);
        const ok = user === options.user && password === options.password;
        client.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) return void client.end();
      } else client.write(Buffer.from([5, 0]));
      const [, , , atyp] = await wait(4);
      const address = atyp === 1 ? [...(await wait(4))].join('.') : atyp === 3 ? (await wait((await wait(1))[0]!)).toString() : (await wait(16)).toString('hex');
      const port = (await wait(2)).readUInt16BE();
      fake.requests.push([atyp!, address, port]);
      if (options.reply) return void client.end(Buffer.from([5, options.reply, 0, 1, 0, 0, 0, 0, 0, 0]));
      const success = Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]);
      const upstream = net.connect(port, '127.0.0.1', async () => {
        // coalesce: the reply and the server's greeting in one segment, as a fast proxy may send them.
        if (options.coalesce) client.write(Buffer.concat([success, ((await once(upstream, 'data')) as [Buffer])[0]]));
        else client.write(success);
        if (buffered.length > 0) upstream.write(buffered);
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => client.destroy());
    } catch {
      client.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  fake.port = (server.address() as net.AddressInfo).port;
  return fake;
}
