/**
 * bullmq and ioredis, optional peer dependencies of `@cnn/tune`: loaded on the first use of the queue (a search
 * in local worker processes never loads them), with a {@link MissingPeerError} naming the package when absent.
 */
import { createRequire } from 'node:module';
import { requirePeer } from '@cnn/core';

const require = createRequire(import.meta.url);

/** The bullmq module (Queue, Worker, UnrecoverableError, WaitingError). @throws MissingPeerError when not installed. */
export function bullmq(): typeof import('bullmq') {
  return requirePeer('bullmq', 'the hyperparameter-search queue', () => require('bullmq') as typeof import('bullmq'));
}

/** The ioredis module. @throws MissingPeerError when not installed. */
export function ioredis(): typeof import('ioredis') {
  return requirePeer('ioredis', 'the hyperparameter-search queue', () => require('ioredis') as typeof import('ioredis'));
}
