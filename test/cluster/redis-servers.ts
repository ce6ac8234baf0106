// Real redis-server processes for the cluster tests, on free loopback ports,
// without persistence; kill() ends exactly the processes started here.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export function haveRedis(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  proc: ChildProcess;
  kill(): void;
}

export async function startRedis(maxmemory = '512mb'): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', maxmemory, '--dir', '/tmp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`redis-server on ${port} did not start: ${text}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (/Ready to accept connections/.test(text)) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (c) => reject(new Error(`redis-server exited ${c}: ${text}`)));
  });
  proc.stdout!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    proc,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
