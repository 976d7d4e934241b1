/**
 * A fake PostgreSQL server on 127.0.0.1 that plays the attacker: it answers an SSLRequest with "N"
 * (no TLS, as a man in the middle that strips it would), asks for the password in clear text
 * (AuthenticationCleartextPassword, which pg answers), records every password it receives, then
 * refuses the login.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface Attacker {
  readonly host: string;
  readonly port: number;
  /** Every password a client sent. */
  readonly passwords: string[];
  /** TCP connections accepted. */
  connections: number;
  /** SSLRequests received (each answered "N"). */
  tlsRequests: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startAttacker(): Promise<Attacker> {
  const sockets = new Set<Socket>();
  const state: Attacker = {
    host: '127.0.0.1',
    port: 0,
    passwords: [],
    connections: 0,
    tlsRequests: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          if (code === SSL_REQUEST) {
            state.tlsRequests += 1;
            socket.write('N');
            continue;
          }
          started = true;
          // AuthenticationCleartextPassword
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5);
          socket.write(auth);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'p') {
          state.passwords.push(body.toString('utf8').replace(/\0$/, ''));
          const fields = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed\0\0', 'utf8');
          const error = Buffer.alloc(5);
          error.write('E', 0);
          error.writeInt32BE(4 + fields.length, 1);
          socket.end(Buffer.concat([error, fields]));
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  (state as { port: number }).port = typeof address === 'object' && address !== null ? address.port : 0;
  return state;
}
