// The FT secondary in a worker thread (ft-check --threads 2): the message
// handler of secondary-host.ts on the thread's port. The same handler serves
// a TCP link in `vmrr ft-secondary` (secondary-server.ts).

import { parentPort } from 'node:worker_threads';
import { SecondaryHost, type HostMessage } from './secondary-host.js';

export type { WorkerInit, WorkerRequest } from './secondary-host.js';

const host = new SecondaryHost((m) => parentPort!.postMessage(m));
parentPort!.on('message', (msg: HostMessage) => host.receive(msg));
