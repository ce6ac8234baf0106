// The main thread's handle on a secondary running in a worker thread:
// requests posted in order, each answered by one reply.

import { Worker } from 'node:worker_threads';
import type { StopInfo } from '../machine/machine.js';
import type { InjectionOutcome } from './inject.js';
import type { RoundResult } from './secondary.js';
import type { WorkerInit, WorkerRequest } from './secondary-worker.js';

export interface RemoteRound {
  r: RoundResult;
  items: { ch: string[]; b: number[]; ic: number[]; e: number[] };
  /** The secondary's state hash when it reached the primary's point. */
  hash: string | null;
  icount: number;
  eip: number;
  executed: number;
  stuck: boolean;
  failed: string | null;
  stopped: StopInfo | null;
  exitStatus: number;
}

export class RemoteSecondary {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(init: WorkerInit) {
    this.worker = new Worker(new URL('./secondary-worker.js', import.meta.url));
    this.worker.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(`ft secondary worker: ${m.error}`));
      else w.resolve(m.value);
    });
    this.worker.on('error', (e) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    });
    // A failed init shows in the replies to the requests that follow it.
    this.send({ init }).catch(() => {});
  }

  private send(msg: { init?: WorkerInit; req?: WorkerRequest }): Promise<unknown> {
    const id = this.next++;
    const p = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, ...msg });
    return p;
  }

  call<T>(req: WorkerRequest): Promise<T> {
    return this.send({ req }) as Promise<T>;
  }

  frames(frames: Uint8Array[]): void {
    if (frames.length > 0) void this.call({ op: 'frames', frames });
  }

  round(): Promise<RemoteRound> {
    return this.call<RemoteRound>({ op: 'round' });
  }

  outcomes(): Promise<InjectionOutcome[]> {
    return this.call<InjectionOutcome[]>({ op: 'outcomes' });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
