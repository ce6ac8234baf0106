// The primary's handle on a secondary running elsewhere (a worker thread, or
// another process over TCP: socket-channel.ts): requests posted in order,
// each answered by one reply, and the results of the rounds the secondary
// runs on its own, queued as they arrive.

import { Worker } from 'node:worker_threads';
import type { StopInfo } from '../machine/machine.js';
import type { InjectionOutcome } from './inject.js';
import type { RoundResult } from './secondary.js';
import type { DiskWrite } from './disk-tap.js';
import type { HostMessage, HostReply, WorkerInit, WorkerRequest } from './secondary-host.js';

export interface RemoteRound {
  /** The restore epoch the round ran in (results of an earlier one are stale). */
  epoch: number;
  r: RoundResult;
  items: { ch: string[]; b: number[]; ic: number[]; e: number[] };
  /** The secondary's disk writes in the round. */
  disk: DiskWrite[];
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

const WORKER = new URL('./secondary-worker.js', import.meta.url);
let prespawned: Worker | null = null;

/**
 * Start loading the worker thread now, before the caller loads its own
 * modules: bin/vmrr.js does when it sees `ft-check --threads 2`, so the two
 * load at the same time. The next RemoteSecondary takes it; until then it
 * does not keep the process alive.
 */
export function prespawnSecondaryWorker(): void {
  if (prespawned) return;
  prespawned = new Worker(WORKER);
  prespawned.unref();
}

/** How messages reach a secondary and come back: a worker's port or a socket. */
export interface HostChannel {
  send(msg: HostMessage): void;
  onMessage(f: (m: HostReply) => void): void;
  /** The secondary is gone (its thread or process died, the link broke). */
  onError(f: (e: Error) => void): void;
  close(): Promise<void>;
}

/** The secondary in a worker thread of this process. */
export function workerChannel(): HostChannel {
  const worker = prespawned ?? new Worker(WORKER);
  prespawned = null;
  worker.ref();
  return {
    send: (m) => worker.postMessage(m),
    onMessage: (f) => worker.on('message', f),
    onError: (f) => worker.on('error', f),
    close: async () => {
      await worker.terminate();
    },
  };
}

export class RemoteSecondary {
  private readonly ch: HostChannel;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly results: RemoteRound[] = [];
  private wake: (() => void) | null = null;

  /** The failure that ended the link, once there is one. */
  failure: Error | null = null;

  /** Default: start the worker thread (it loads while the caller builds the primary); start() gives it its guest. */
  constructor(channel: HostChannel = workerChannel()) {
    this.ch = channel;
    this.ch.onMessage((m) => {
      if (m.round) {
        this.results.push(m.round);
        this.wakeUp();
        return;
      }
      if (m.id === 0) {
        // A round failed outside the guest: nothing more will come.
        this.fail(new Error(`ft secondary: ${m.error}`));
        return;
      }
      const w = this.waiting.get(m.id!);
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error !== undefined) w.reject(new Error(`ft secondary: ${m.error}`));
      else w.resolve(m.value);
    });
    this.ch.onError((e) => this.fail(e));
  }

  /** Build the secondary in the worker; resolves when it is ready. If that fails, so do the results and requests after it. */
  async start(init: WorkerInit): Promise<void> {
    try {
      await this.send({ init });
    } catch (e) {
      this.fail(e as Error);
      throw e;
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private send(msg: { init?: WorkerInit; req?: WorkerRequest }): Promise<unknown> {
    const id = this.next++;
    const p = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.failure) {
      this.waiting.delete(id);
      return Promise.reject(this.failure);
    }
    this.ch.send({ id, ...msg });
    return p;
  }

  /** Requests that waited for an answer. */
  roundTrips = 0;

  call<T>(req: WorkerRequest): Promise<T> {
    this.roundTrips++;
    return this.send({ req }) as Promise<T>;
  }

  /** Post a request that needs no answer (frames, confirmations); if it fails, the worker reports it as its failure. */
  post(req: WorkerRequest): void {
    if (!this.failure) this.ch.send({ id: 0, req });
  }

  /** The oldest round result that has arrived, taken off the queue (call nextResult() first). */
  takeResult(): RemoteRound {
    if (this.failure) throw this.failure;
    const r = this.results.shift();
    if (!r) throw new Error('ft: no round result has arrived');
    return r;
  }

  /** Resolves when a round result arrives (at once if one is queued); rejects if the worker failed. */
  async nextResult(): Promise<void> {
    while (this.results.length === 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  outcomes(): Promise<InjectionOutcome[]> {
    return this.call<InjectionOutcome[]>({ op: 'outcomes' });
  }

  close(): Promise<void> {
    return this.ch.close();
  }
}
