/**
 * Learning-rate schedulers with the semantics and names of `torch.optim.lr_scheduler` (PyTorch 1.13).
 *
 * Protocol (as PyTorch): constructing a scheduler sets `optimizer.lr` to the value for step 0; every
 * {@link LRScheduler.step} advances `lastEpoch` by one and writes the new rate to `optimizer.lr`. Step
 * once per epoch (after the epoch) or once per batch (after `optimizer.step()`); the callbacks wrapper
 * in `@cnn/callbacks` does either. Each scheduler keeps its own running rate (PyTorch's chainable
 * `group['lr']`), so a {@link LinearWarmup} around it composes multiplicatively like
 * `torch.optim.lr_scheduler.ChainedScheduler([LinearLR(...), inner])`.
 *
 * One file per family; `registry.ts` holds the one table of names, aliases and constructors.
 *
 * @packageDocumentation
 */
export { LRScheduler, type SchedulerState } from './base.js';
export {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  LinearLR,
  type StepLROptions,
  type MultiStepLROptions,
  type ExponentialLROptions,
  type LinearLROptions,
} from './step.js';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts, type CosineAnnealingLROptions, type CosineAnnealingWarmRestartsOptions } from './cosine.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { LinearWarmup, type LinearWarmupOptions } from './warmup.js';
export { SequentialLR, type SequentialLROptions } from './sequential.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
export { createScheduler, parseSchedulerSpec, SCHEDULER_NAMES, type Scheduler, type SchedulerName, type SchedulerSpec } from './registry.js';
